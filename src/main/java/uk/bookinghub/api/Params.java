package uk.bookinghub.api;

import java.util.Map;

/**
 * A request's parameters after the front door checked them against the endpoint's declaration:
 * each present value already has its declared type (whole numbers as {@code Long}, booleans as
 * {@code Boolean}, text trimmed). Handlers read them from the exchange property {@code params}.
 */
public record Params(Map<String, Object> values, Map<String, String> text) {

    public static final Params NONE = new Params(Map.of(), Map.of());

    public String text(String name) {
        return text.get(name);
    }

    public Long whole(String name) {
        return (Long) values.get(name);
    }

    public Boolean flag(String name) {
        return (Boolean) values.get(name);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }
}
