package uk.bookinghub.leads;

import java.util.Arrays;

/**
 * Open-addressing map from a positive long (an E.164 number's digits) to an int (the line it was
 * first seen on): about 12 bytes a number, so a million-row import dedupes in ~24 MB.
 */
final class LongIntMap {
    private long[] keys;
    private int[] values;
    private int size;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new int[cap];
    }

    /** The value already stored for the key, or stores {@code value} and returns -1. */
    int putIfAbsent(long key, int value) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        int i = mix(key) & mask;
        while (keys[i] != 0) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
        size++;
        return -1;
    }

    /** The value for the key, or -1. */
    int get(long key) {
        int mask = keys.length - 1;
        int i = mix(key) & mask;
        while (keys[i] != 0) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                putIfAbsent(oldKeys[i], oldValues[i]);
            }
        }
    }

    private static int mix(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    int size() {
        return size;
    }

    @Override
    public String toString() {
        return "LongIntMap(" + size + ", " + Arrays.hashCode(keys) + ")";
    }
}
