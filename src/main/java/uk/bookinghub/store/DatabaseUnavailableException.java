package uk.bookinghub.store;

/** The database could not be reached in time (or is locked); the caller should answer 503 and may retry. */
public class DatabaseUnavailableException extends RuntimeException {
    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
