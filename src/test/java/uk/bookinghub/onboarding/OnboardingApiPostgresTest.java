package uk.bookinghub.onboarding;

import uk.bookinghub.support.TestDatabase;

/** The onboarding wizard's API on PostgreSQL. */
class OnboardingApiPostgresTest extends OnboardingApiTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.POSTGRESQL;
    }
}
