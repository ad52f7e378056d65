package io.github.attentionsinks.examples.cli;

import java.util.Arrays;

/**
 * One series of one panel reduced to pixel columns: per column the first, last, smallest and largest value and the
 * mean. Drawing, per column, a vertical stroke from min to max and a line from the previous column's last value to
 * this column's first paints the same pixels as the full polyline would, so a million rows cost as much memory as
 * the image is wide, and no spike is lost.
 */
final class ColumnBins {
    final double[] first;
    final double[] last;
    final double[] min;
    final double[] max;
    final double[] sum;
    final long[] count;

    ColumnBins(int columns) {
        first = new double[columns];
        last = new double[columns];
        min = new double[columns];
        max = new double[columns];
        sum = new double[columns];
        count = new long[columns];
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
    }

    int columns() {
        return count.length;
    }

    void add(int column, double value) {
        if (count[column] == 0) {
            first[column] = value;
        }
        last[column] = value;
        min[column] = Math.min(min[column], value);
        max[column] = Math.max(max[column], value);
        sum[column] += value;
        count[column]++;
    }

    double mean(int column) {
        return sum[column] / count[column];
    }
}
