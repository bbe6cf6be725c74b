package uk.bookinghub.store;

/** A database statement failed for a reason other than availability (a bug or a constraint we did not expect). */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Wraps a JDBC failure as unavailable (503) or a store error (500). */
    public static RuntimeException wrap(String what, Exception e) {
        if (Dialect.isUnavailable(e)) {
            return new DatabaseUnavailableException("database unavailable while " + what + ": " + e.getMessage(), e);
        }
        return new StoreException(what + " failed: " + e.getMessage(), e);
    }
}
