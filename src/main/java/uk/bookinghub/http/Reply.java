package uk.bookinghub.http;

/** A JSON reply with its HTTP status; bean methods return it when 200 is not the answer. */
public record Reply(int status, Object body) {
    public static Reply created(Object body) {
        return new Reply(201, body);
    }
}
