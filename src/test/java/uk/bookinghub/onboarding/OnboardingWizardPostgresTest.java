package uk.bookinghub.onboarding;

import uk.bookinghub.support.TestDatabase;

/** The onboarding wizard in a real browser, on PostgreSQL. */
class OnboardingWizardPostgresTest extends OnboardingWizardTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
