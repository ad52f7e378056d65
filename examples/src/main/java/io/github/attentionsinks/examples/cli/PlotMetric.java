package io.github.attentionsinks.examples.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A CSV column that {@code plot} can draw as one panel against input_length. */
enum PlotMetric {
    NLL("nll", 1, "nll (nats/token)", false, 1),
    OVERALL_PPL("overall_ppl", 3, "overall perplexity", true, 1),
    PPL("ppl", 2, "perplexity", true, 1),
    MEMORY_BYTES("memory_bytes", 4, "memory (MiB)", false, 1.0 / (1 << 20)),
    LATENCY_MS("latency_ms", 5, "latency (ms)", false, 1);

    /** The column name in the CSV header and on the command line. */
    final String column;
    /** Index in {@link PerplexityCsv#COLUMNS}. */
    final int index;
    /** The y axis title. */
    final String axisTitle;
    /** Perplexities span orders of magnitude once dense collapses, so they default to a log axis (as the reference). */
    final boolean logByDefault;
    /** Multiplies CSV values into axis units (bytes to MiB). */
    final double scale;

    PlotMetric(String column, int index, String axisTitle, boolean logByDefault, double scale) {
        this.column = column;
        this.index = index;
        this.axisTitle = axisTitle;
        this.logByDefault = logByDefault;
        this.scale = scale;
    }

    static String names() {
        StringBuilder s = new StringBuilder();
        for (PlotMetric m : values()) {
            s.append(s.length() == 0 ? "" : ", ").append(m.column);
        }
        return s.toString();
    }

    /** Parses a column name such as {@code overall_ppl} (any case). */
    static final class Converter implements ITypeConverter<PlotMetric> {
        @Override
        public PlotMetric convert(String value) {
            for (PlotMetric m : values()) {
                if (m.column.equals(value.trim().toLowerCase(Locale.ROOT))) {
                    return m;
                }
            }
            throw new TypeConversionException("unknown metric '" + value + "': use " + names());
        }
    }
}
