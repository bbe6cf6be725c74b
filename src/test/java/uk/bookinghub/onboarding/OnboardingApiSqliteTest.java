package uk.bookinghub.onboarding;

import uk.bookinghub.support.TestDatabase;

/** The onboarding wizard's API on SQLite. */
class OnboardingApiSqliteTest extends OnboardingApiTest {
    @Override
    TestDatabase.Kind kind() {
        return TestDatabase.Kind.SQLITE;
    }
}
