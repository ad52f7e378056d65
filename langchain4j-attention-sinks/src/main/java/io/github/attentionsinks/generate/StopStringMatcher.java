package io.github.attentionsinks.generate;

import java.util.List;

/**
 * Streams text while watching for stop strings: text that could be the start of a stop string is held back
 * until it is known not to be one. Work per piece is bounded by the longest stop string.
 */
final class StopStringMatcher {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopStringMatcher(List<String> stops) {
        this.stops = stops;
    }

    /** Adds text; returns what may be emitted now. After a stop string is found, {@link #stopped()} is true. */
    String accept(String piece) {
        if (stopped) {
            return "";
        }
        if (stops.isEmpty()) {
            return piece;
        }
        held.append(piece);
        int cut = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            stopped = true;
            String out = held.substring(0, cut);
            held.setLength(0);
            return out;
        }
        int keep = 0;
        for (String stop : stops) {
            for (int len = Math.min(stop.length() - 1, held.length()); len > keep; len--) {
                if (held.toString().regionMatches(held.length() - len, stop, 0, len)) {
                    keep = len;
                    break;
                }
            }
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    boolean stopped() {
        return stopped;
    }

    /** Text still held at the end of generation (a partial stop string that never completed). */
    String flush() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }
}
