package io.github.attentionsinks.examples.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Streams and validates the CSV that {@code perplexity} writes, one row at a time into one reused array, so that
 * files of any length are read in constant memory.
 */
final class PerplexityCsv {
    static final String HEADER = PerplexityCommand.HEADER;
    static final String[] COLUMNS = HEADER.split(",");
    static final int INPUT_LENGTH = 0;

    /** A malformed or unreadable CSV; the message names the file and, for content errors, the line. */
    static final class FormatException extends RuntimeException {
        FormatException(String message) {
            super(message);
        }
    }

    /** Receives each data row: {@code row[c]} is column c of {@link #COLUMNS}; the array is reused. */
    @FunctionalInterface
    interface RowVisitor {
        void row(double[] row);
    }

    /** What a first pass learns about a file: row count, the last input length, and per-column value ranges. */
    static final class Summary {
        long rows;
        double maxInputLength;
        final double[] min = filled(Double.POSITIVE_INFINITY);
        final double[] max = filled(Double.NEGATIVE_INFINITY);
        /** Smallest value > 0 per column, for log scales. */
        final double[] minPositive = filled(Double.POSITIVE_INFINITY);

        private static double[] filled(double v) {
            double[] a = new double[COLUMNS.length];
            java.util.Arrays.fill(a, v);
            return a;
        }

        void add(double[] row) {
            rows++;
            maxInputLength = row[INPUT_LENGTH];
            for (int c = 0; c < row.length; c++) {
                double v = row[c];
                if (Double.isFinite(v)) {
                    min[c] = Math.min(min[c], v);
                    max[c] = Math.max(max[c], v);
                    if (v > 0) {
                        minPositive[c] = Math.min(minPositive[c], v);
                    }
                }
            }
        }
    }

    private PerplexityCsv() {
    }

    /**
     * Reads the whole file once, validating it, and returns the ranges of the rows with input_length above
     * {@code skipFirst}.
     *
     * @throws FormatException also when no row is left after skipping
     */
    static Summary summarize(Path file, long skipFirst) {
        Summary summary = new Summary();
        double[] lastLength = {0};
        forEachRow(file, row -> {
            lastLength[0] = row[INPUT_LENGTH];
            if (row[INPUT_LENGTH] > skipFirst) {
                summary.add(row);
            }
        });
        if (summary.rows == 0) {
            throw new FormatException(file + ": no rows left after --skip-first " + skipFirst + " (the last "
                    + "input_length is " + (long) lastLength[0] + ")");
        }
        return summary;
    }

    /**
     * Calls {@code visitor} for each data row after checking the header, the field count, that every field is a
     * number, and that input_length is a whole number >= 1 that increases from row to row.
     *
     * @throws FormatException naming the file (and line) when the file is missing, unreadable or malformed
     */
    static void forEachRow(Path file, RowVisitor visitor) {
        if (!Files.isRegularFile(file)) {
            throw new FormatException(file + ": file not found");
        }
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = reader.readLine();
            if (header == null) {
                throw new FormatException(file + ": file is empty; expected a CSV written by "
                        + "'attention-sinks perplexity --output' (header " + HEADER + ")");
            }
            if (header.startsWith("\uFEFF")) {
                header = header.substring(1);
            }
            if (!header.equals(HEADER)) {
                throw new FormatException(file + " line 1: header is '" + abbreviate(header) + "', expected '" + HEADER
                        + "' (the CSV that 'attention-sinks perplexity --output' writes)");
            }
            double[] row = new double[COLUMNS.length];
            double previousLength = 0;
            long lineNumber = 1;
            long rows = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lineNumber++;
                parse(file, lineNumber, line, row);
                double length = row[INPUT_LENGTH];
                if (length < 1 || length != Math.rint(length)) {
                    throw new FormatException(file + " line " + lineNumber + ": input_length '" + field(line, 0)
                            + "' is not a whole number >= 1");
                }
                if (length <= previousLength) {
                    throw new FormatException(file + " line " + lineNumber + ": input_length "
                            + (long) length + " does not increase (the line before has " + (long) previousLength
                            + "); one CSV holds one run");
                }
                previousLength = length;
                rows++;
                visitor.row(row);
            }
            if (rows == 0) {
                throw new FormatException(file + ": no data rows after the header");
            }
        } catch (CharacterCodingException e) {
            throw new FormatException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new FormatException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** Splits on commas without a regex or per-field strings beyond what parseDouble needs. */
    private static void parse(Path file, long lineNumber, String line, double[] row) {
        int start = 0;
        for (int c = 0; c < COLUMNS.length; c++) {
            int end = line.indexOf(',', start);
            boolean last = c == COLUMNS.length - 1;
            if (last ? end >= 0 : end < 0) {
                throw new FormatException(file + " line " + lineNumber + ": " + countFields(line) + " field(s), expected "
                        + COLUMNS.length + " (" + HEADER + ")" + (line.isEmpty() ? ": the line is empty" : ""));
            }
            String cell = last ? line.substring(start) : line.substring(start, end);
            row[c] = number(file, lineNumber, c, cell);
            start = end + 1;
        }
    }

    private static double number(Path file, long lineNumber, int column, String cell) {
        // parseDouble also takes " 1", "1d", "0x1p3": not what the perplexity command writes, so refused.
        boolean plain = !cell.isEmpty();
        for (int i = 0; i < cell.length() && plain; i++) {
            char ch = cell.charAt(i);
            plain = (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '+' || ch == 'e' || ch == 'E';
        }
        if (plain || cell.equals("NaN") || cell.equals("Infinity") || cell.equals("-Infinity")) {
            try {
                return Double.parseDouble(cell);
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new FormatException(String.format(Locale.ROOT, "%s line %d: %s '%s' is not a number", file, lineNumber,
                COLUMNS[column], abbreviate(cell)));
    }

    private static int countFields(String line) {
        int n = 1;
        for (int i = line.indexOf(','); i >= 0; i = line.indexOf(',', i + 1)) {
            n++;
        }
        return n;
    }

    private static String field(String line, int index) {
        return line.split(",", -1)[index];
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
