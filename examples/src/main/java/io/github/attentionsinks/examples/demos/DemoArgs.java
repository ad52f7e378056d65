package io.github.attentionsinks.examples.demos;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The demos' argument parsing, kept trivial on purpose: {@code --name value} pairs only, each name from a known set.
 * Malformed input throws {@link IllegalArgumentException} with a message naming the option.
 */
final class DemoArgs {
    private final Map<String, String> values = new HashMap<>();

    private DemoArgs() {}

    /**
     * Parses {@code args}; returns null when {@code --help} or {@code -h} was given (the caller prints its usage).
     *
     * @param known option names without the leading dashes
     */
    static DemoArgs parse(String[] args, Set<String> known) {
        DemoArgs parsed = new DemoArgs();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                return null;
            }
            if (!arg.startsWith("--") || !known.contains(arg.substring(2))) {
                throw new IllegalArgumentException("unknown option '" + arg + "'");
            }
            if (i + 1 == args.length) {
                throw new IllegalArgumentException(arg + " needs a value");
            }
            parsed.values.put(arg.substring(2), args[++i]);
        }
        return parsed;
    }

    String string(String name, String defaultValue) {
        return values.getOrDefault(name, defaultValue);
    }

    int integer(String name, int defaultValue, int min) {
        long v = longValue(name, defaultValue, min);
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--" + name + " must be at most " + Integer.MAX_VALUE + ", got " + v);
        }
        return (int) v;
    }

    long longValue(String name, long defaultValue, long min) {
        String text = values.get(name);
        if (text == null) {
            return defaultValue;
        }
        long v;
        try {
            v = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": expected an integer, got '" + text + "'");
        }
        if (v < min) {
            throw new IllegalArgumentException("--" + name + " must be at least " + min + ", got " + v);
        }
        return v;
    }

    double decimal(String name, double defaultValue) {
        String text = values.get(name);
        if (text == null) {
            return defaultValue;
        }
        try {
            return Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": expected a number, got '" + text + "'");
        }
    }

    /** The option's value, or null when it was not given. */
    Double optionalDecimal(String name) {
        return values.containsKey(name) ? decimal(name, 0) : null;
    }

    /** The option's value as a seed, or null when it was not given. */
    Long optionalLong(String name) {
        return values.containsKey(name) ? longValue(name, 0, Long.MIN_VALUE) : null;
    }
}
