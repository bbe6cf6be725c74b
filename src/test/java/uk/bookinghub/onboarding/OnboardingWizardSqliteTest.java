package uk.bookinghub.onboarding;

import uk.bookinghub.support.TestDatabase;

/** The onboarding wizard in a real browser, on SQLite. */
class OnboardingWizardSqliteTest extends OnboardingWizardTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
