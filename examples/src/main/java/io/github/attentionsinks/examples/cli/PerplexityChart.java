package io.github.attentionsinks.examples.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * Stacked panels, one per metric, sharing the input-length axis; one coloured line per series and a legend. Laid
 * out before any row is binned, because the bins are the plot area's pixel columns.
 *
 * <p>Use: construct (lays out), {@link #add} every row of every series, then {@link #render}.
 */
final class PerplexityChart {
    /** Tableau 10, in order: tell-apart colours that stay readable in print; documented in docs/cli.md. */
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0x17becf)};

    static final int MIN_PANEL_HEIGHT = 80;
    private static final Color GRID = new Color(0xe4e4e4);
    private static final Color FRAME = new Color(0x505050);
    private static final Color TEXT = new Color(0x202020);
    private static final int RIGHT_MARGIN = 28;
    private static final int PANEL_GAP = 44;
    private static final int BOTTOM_MARGIN = 58;
    private static final int LEGEND_ROW = 24;
    private static final int SWATCH = 28;

    /** How many rows fall into one pixel column, reduced either way. */
    enum Downsample {
        /** Min-max stroke per column plus joins: the pixels of the full line, spikes included. */
        MINMAX,
        /** One point per column: the mean of its rows (a smoothed line for noisy per-token metrics). */
        MEAN
    }

    /** One panel: its metric, its y axis. */
    record Panel(PlotMetric metric, Axis y) {
    }

    /** A dashed vertical line at an input length (such as the trained context), labelled in the top panel. */
    record Marker(double inputLength, String label) {
    }

    private final BufferedImage image;
    private final Graphics2D g;
    private final String title;
    private final List<String> labels;
    /** Replaced (same metrics) when the y axes are refitted to column means. */
    private List<Panel> panels;
    private final int yTicks;
    private final Axis x;
    private final Font titleFont;
    private final Font labelFont;
    private final Font tickFont;
    private final int plotLeft;
    private final int plotWidth;
    private final int panelHeight;
    private final int headerHeight;
    private final int legendTop;
    private final ColumnBins[][] bins;
    private final List<Marker> markers = new ArrayList<>();

    /**
     * @param yRanges per panel, {min, max} of the data in axis units (positive when the panel is logarithmic)
     * @param maxInputLength the largest input_length of all series (the x axis runs from 0 to it)
     * @throws IllegalArgumentException when the height leaves less than {@value #MIN_PANEL_HEIGHT} px per panel
     */
    PerplexityChart(int width, int height, String title, List<String> labels, List<PlotMetric> metrics,
            boolean[] logarithmic, double[][] yRanges, double maxInputLength) {
        this.title = title == null ? "" : title.strip();
        this.labels = labels;
        image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 20);
        labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 15);
        tickFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

        int legendRows = legendRows(width);
        legendTop = this.title.isEmpty() ? 10 : 44;
        headerHeight = legendTop + legendRows * LEGEND_ROW + 14;
        int n = metrics.size();
        panelHeight = (height - headerHeight - BOTTOM_MARGIN - PANEL_GAP * (n - 1)) / n;
        if (panelHeight < MIN_PANEL_HEIGHT) {
            throw new IllegalArgumentException("--height " + height + " leaves " + panelHeight + " px per panel for "
                    + n + " panel(s) and " + labels.size() + " series; give at least --height "
                    + (height + (MIN_PANEL_HEIGHT - panelHeight) * n));
        }
        List<Panel> built = new ArrayList<>();
        yTicks = Math.max(3, Math.min(10, panelHeight / 45));
        for (int p = 0; p < n; p++) {
            double lo = yRanges[p][0];
            double hi = yRanges[p][1];
            built.add(new Panel(metrics.get(p), logarithmic[p] ? Axis.log(lo, hi, yTicks) : Axis.linear(lo, hi, yTicks,
                    true)));
        }
        panels = List.copyOf(built);
        FontMetrics tm = g.getFontMetrics(tickFont);
        int widestTick = 0;
        for (Panel panel : panels) {
            for (String label : panel.y.labels) {
                widestTick = Math.max(widestTick, tm.stringWidth(label));
            }
        }
        // Room for the labels of the data's full range, which a refit to column means rarely widens.
        plotLeft = 34 + Math.max(widestTick, tm.stringWidth("0.000")) + 10;
        plotWidth = width - plotLeft - RIGHT_MARGIN;
        if (plotWidth < 100) {
            throw new IllegalArgumentException("--width " + width + " leaves " + plotWidth
                    + " px for the plot; give at least --width " + (width + 100 - plotWidth));
        }
        x = Axis.linear(0, Math.max(1, maxInputLength), Math.max(3, Math.min(12, plotWidth / 95)), false);
        bins = new ColumnBins[labels.size()][n];
        for (ColumnBins[] series : bins) {
            for (int p = 0; p < n; p++) {
                series[p] = new ColumnBins(plotWidth);
            }
        }
    }

    /** Adds one CSV row of series {@code s}: its x picks the pixel column; values a panel cannot show are skipped. */
    void add(int s, double[] row) {
        int column = (int) Math.round(x.fraction(row[PerplexityCsv.INPUT_LENGTH]) * (plotWidth - 1));
        column = Math.max(0, Math.min(plotWidth - 1, column));
        for (int p = 0; p < panels.size(); p++) {
            Panel panel = panels.get(p);
            double v = row[panel.metric.index] * panel.metric.scale;
            if (Double.isFinite(v) && (!panel.y.log || v > 0)) {
                bins[s][p].add(column, v);
            }
        }
    }

    int plotWidth() {
        return plotWidth;
    }

    /** Markers beyond the x axis are not drawn. */
    void addMarker(Marker marker) {
        markers.add(marker);
    }

    /** Draws everything and returns the image. */
    BufferedImage render(Downsample downsample) {
        if (downsample == Downsample.MEAN) {
            fitToMeans();
        }
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        if (!title.isEmpty()) {
            g.setFont(titleFont);
            g.setColor(TEXT);
            FontMetrics fm = g.getFontMetrics();
            g.drawString(title, (image.getWidth() - fm.stringWidth(title)) / 2, 30);
        }
        drawLegend();
        for (int p = 0; p < panels.size(); p++) {
            int top = headerHeight + p * (panelHeight + PANEL_GAP);
            drawAxes(panels.get(p), top, p == panels.size() - 1);
            drawMarkers(top, p == 0);
            Shape clip = g.getClip();
            // One pixel of slack so that a line on the frame is not cut in half.
            g.clipRect(plotLeft - 1, top - 1, plotWidth + 2, panelHeight + 2);
            for (int s = 0; s < labels.size(); s++) {
                g.setColor(PALETTE[s % PALETTE.length]);
                g.setStroke(new BasicStroke(lineWidth(s), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                drawSeries(bins[s][p], panels.get(p).y, top, downsample);
            }
            g.setClip(clip);
        }
        g.dispose();
        return image;
    }

    /**
     * Means span less than the rows' extremes (which set the axes while reading), so each y axis is refitted to
     * the range of the column means that will be drawn.
     */
    private void fitToMeans() {
        List<Panel> refitted = new ArrayList<>();
        for (int p = 0; p < panels.size(); p++) {
            Panel panel = panels.get(p);
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (ColumnBins[] series : bins) {
                ColumnBins b = series[p];
                for (int c = 0; c < b.columns(); c++) {
                    if (b.count[c] > 0) {
                        lo = Math.min(lo, b.mean(c));
                        hi = Math.max(hi, b.mean(c));
                    }
                }
            }
            if (lo <= hi) {
                panel = new Panel(panel.metric, panel.y.log ? Axis.log(lo, hi, yTicks) : Axis.linear(lo, hi, yTicks,
                        true));
            }
            refitted.add(panel);
        }
        panels = List.copyOf(refitted);
    }

    /**
     * Later series are drawn over earlier ones, and modes often coincide (every mode equals dense until the cache
     * fills), so earlier lines are wider and show as a border around the lines that cover them.
     */
    float lineWidth(int series) {
        return 2f + 1.5f * Math.min(3, labels.size() - 1 - series);
    }

    private int legendRows(int width) {
        FontMetrics fm = g.getFontMetrics(labelFont);
        int rows = 1;
        int used = 0;
        for (String label : labels) {
            int w = SWATCH + 8 + fm.stringWidth(label) + 26;
            if (used > 0 && used + w > width - 40) {
                rows++;
                used = 0;
            }
            used += w;
        }
        return rows;
    }

    private void drawLegend() {
        g.setFont(labelFont);
        FontMetrics fm = g.getFontMetrics();
        int available = image.getWidth() - 40;
        // Lay out rows first so that each row can be centred.
        List<List<Integer>> rows = new ArrayList<>();
        List<Integer> widths = new ArrayList<>();
        List<Integer> row = new ArrayList<>();
        int used = 0;
        for (int s = 0; s < labels.size(); s++) {
            int w = SWATCH + 8 + fm.stringWidth(labels.get(s)) + 26;
            if (used > 0 && used + w > available) {
                rows.add(row);
                widths.add(used - 26);
                row = new ArrayList<>();
                used = 0;
            }
            row.add(s);
            used += w;
        }
        rows.add(row);
        widths.add(used - 26);
        for (int r = 0; r < rows.size(); r++) {
            int xPos = (image.getWidth() - widths.get(r)) / 2;
            int baseline = legendTop + r * LEGEND_ROW + fm.getAscent();
            for (int s : rows.get(r)) {
                Color color = PALETTE[s % PALETTE.length];
                g.setColor(color);
                g.setStroke(new BasicStroke(Math.max(3f, lineWidth(s)), BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER));
                int midY = baseline - fm.getAscent() / 2 + 2;
                g.drawLine(xPos, midY, xPos + SWATCH, midY);
                g.setColor(TEXT);
                g.drawString(labels.get(s), xPos + SWATCH + 8, baseline);
                xPos += SWATCH + 8 + fm.stringWidth(labels.get(s)) + 26;
            }
        }
    }

    private void drawAxes(Panel panel, int top, boolean bottom) {
        int bottomY = top + panelHeight;
        g.setStroke(new BasicStroke(1f));
        g.setFont(tickFont);
        FontMetrics fm = g.getFontMetrics();
        for (int i = 0; i < panel.y.ticks.length; i++) {
            int yPos = (int) Math.round(yPixel(panel.y, panel.y.ticks[i], top));
            g.setColor(GRID);
            g.drawLine(plotLeft, yPos, plotLeft + plotWidth - 1, yPos);
            g.setColor(FRAME);
            g.drawLine(plotLeft - 5, yPos, plotLeft - 1, yPos);
            g.setColor(TEXT);
            String label = panel.y.labels[i];
            g.drawString(label, plotLeft - 9 - fm.stringWidth(label), yPos + fm.getAscent() / 2 - 1);
        }
        for (int i = 0; i < x.ticks.length; i++) {
            int xPos = plotLeft + (int) Math.round(x.fraction(x.ticks[i]) * (plotWidth - 1));
            g.setColor(GRID);
            g.drawLine(xPos, top, xPos, bottomY - 1);
            g.setColor(FRAME);
            g.drawLine(xPos, bottomY, xPos, bottomY + 4);
            g.setColor(TEXT);
            String label = x.labels[i];
            int labelX = Math.min(xPos - fm.stringWidth(label) / 2, image.getWidth() - 2 - fm.stringWidth(label));
            g.drawString(label, labelX, bottomY + 6 + fm.getAscent());
        }
        g.setColor(FRAME);
        g.drawRect(plotLeft - 1, top - 1, plotWidth + 1, panelHeight + 1);

        g.setFont(labelFont);
        g.setColor(TEXT);
        FontMetrics lm = g.getFontMetrics();
        String yTitle = panel.metric.axisTitle + (panel.y.log ? ", log scale" : "");
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        // Rotated: x runs up the image, y runs right.
        int centre = top + panelHeight / 2;
        g.drawString(yTitle, -centre - lm.stringWidth(yTitle) / 2, 6 + lm.getAscent());
        g.setTransform(saved);
        if (bottom) {
            String xTitle = "input length (tokens)";
            g.drawString(xTitle, plotLeft + (plotWidth - lm.stringWidth(xTitle)) / 2,
                    bottomY + 6 + fm.getHeight() + 4 + lm.getAscent());
        }
    }

    private void drawMarkers(int top, boolean labelled) {
        g.setFont(tickFont);
        FontMetrics fm = g.getFontMetrics();
        for (Marker marker : markers) {
            double f = x.fraction(marker.inputLength);
            if (f < 0 || f > 1) {
                continue;
            }
            int xPos = plotLeft + (int) Math.round(f * (plotWidth - 1));
            g.setColor(FRAME);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f},
                    0f));
            g.drawLine(xPos, top, xPos, top + panelHeight - 1);
            if (labelled && marker.label != null && !marker.label.isEmpty()) {
                int w = fm.stringWidth(marker.label);
                // Right of the line, or left of it when it would run off the plot.
                int labelX = xPos + 5 + w <= plotLeft + plotWidth ? xPos + 5 : xPos - 5 - w;
                g.setColor(new Color(255, 255, 255, 210));
                g.fillRect(labelX - 2, top + 4, w + 4, fm.getHeight());
                g.setColor(TEXT);
                g.drawString(marker.label, labelX, top + 4 + fm.getAscent());
            }
        }
    }

    private double yPixel(Axis axis, double value, int top) {
        return top + (1 - axis.fraction(value)) * (panelHeight - 1) + 0.5;
    }

    private void drawSeries(ColumnBins b, Axis axis, int top, Downsample downsample) {
        Path2D.Double path = new Path2D.Double();
        boolean started = false;
        int columnsWithData = 0;
        double lastX = 0;
        double lastY = 0;
        for (int c = 0; c < b.columns(); c++) {
            if (b.count[c] == 0) {
                continue;
            }
            columnsWithData++;
            double px = plotLeft + c + 0.5;
            double entry = downsample == Downsample.MEAN ? b.mean(c) : b.first[c];
            double yEntry = yPixel(axis, entry, top);
            if (started) {
                path.lineTo(px, yEntry);
            } else {
                path.moveTo(px, yEntry);
                started = true;
            }
            lastX = px;
            lastY = yEntry;
            if (downsample == Downsample.MINMAX && b.count[c] > 1) {
                path.moveTo(px, yPixel(axis, b.min[c], top));
                path.lineTo(px, yPixel(axis, b.max[c], top));
                lastY = yPixel(axis, b.last[c], top);
                path.moveTo(px, lastY);
            }
        }
        if (columnsWithData == 1) {
            g.fill(new Ellipse2D.Double(lastX - 2.5, lastY - 2.5, 5, 5));
        } else if (started) {
            g.draw(path);
        }
    }

    /** A linear or logarithmic axis range with its ticks and their labels. */
    static final class Axis {
        final boolean log;
        final double lo;
        final double hi;
        final double[] ticks;
        final String[] labels;

        private Axis(boolean log, double lo, double hi, double[] ticks, String[] labels) {
            this.log = log;
            this.lo = lo;
            this.hi = hi;
            this.ticks = ticks;
            this.labels = labels;
        }

        /** 0 at lo, 1 at hi. */
        double fraction(double v) {
            return log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
        }

        /**
         * @param pad when true the range gets 5% margins (data off the frame); when false it is {@code [min, max]}
         */
        static Axis linear(double min, double max, int maxTicks, boolean pad) {
            // A flat line, or one that varies by less than 2% of its size (such as column means that differ only
            // in how many rows each column holds), is drawn flat in the middle instead of magnified into noise.
            double magnitude = Math.max(Math.abs(min), Math.abs(max));
            double minSpan = magnitude == 0 ? 2 : 0.02 * magnitude;
            if (max - min < minSpan) {
                double centre = (min + max) / 2;
                min = centre - minSpan / 2;
                max = centre + minSpan / 2;
            }
            if (pad) {
                double d = (max - min) * 0.05;
                min -= d;
                max += d;
            }
            double step = niceStep((max - min) / (maxTicks - 1));
            List<Double> ticks = new ArrayList<>();
            for (long k = (long) Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) {
                ticks.add(k * step);
            }
            return new Axis(false, min, max, toArray(ticks), labels(ticks, step));
        }

        /** Decades when the range spans enough of them, else 1-2-5 or 1..9 mantissas, else linear steps. */
        static Axis log(double min, double max, int maxTicks) {
            double ratio = max > min ? Math.pow(max / min, 0.05) : 1.2;
            double lo = min / ratio;
            double hi = max * ratio;
            int firstDecade = (int) Math.floor(Math.log10(lo));
            int lastDecade = (int) Math.ceil(Math.log10(hi));
            for (int[] mantissas : new int[][] {{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
                List<Double> ticks = new ArrayList<>();
                for (int d = firstDecade; d <= lastDecade; d++) {
                    for (int m : mantissas) {
                        double v = m * Math.pow(10, d);
                        if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) {
                            ticks.add(v);
                        }
                    }
                }
                if (mantissas.length == 1 && ticks.size() > maxTicks) {
                    // Many decades: every k-th one.
                    int every = (ticks.size() + maxTicks - 1) / maxTicks;
                    List<Double> thinned = new ArrayList<>();
                    for (int i = 0; i < ticks.size(); i += every) {
                        thinned.add(ticks.get(i));
                    }
                    ticks = thinned;
                }
                if (ticks.size() >= 3 && ticks.size() <= maxTicks) {
                    String[] labels = new String[ticks.size()];
                    for (int i = 0; i < labels.length; i++) {
                        labels[i] = label(ticks.get(i), ticks.get(i), ticks.get(i));
                    }
                    return new Axis(true, lo, hi, toArray(ticks), labels);
                }
            }
            // A narrow range: evenly spaced values read better than a single decade mark.
            Axis linear = linear(lo, hi, maxTicks, false);
            return new Axis(true, lo, hi, linear.ticks, linear.labels);
        }

        private static double niceStep(double raw) {
            double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
            double normalized = raw / magnitude;
            double nice = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 2.5 ? 2.5 : normalized <= 5 ? 5 : 10;
            return nice * magnitude;
        }

        private static double[] toArray(List<Double> values) {
            return values.stream().mapToDouble(Double::doubleValue).toArray();
        }

        private static String[] labels(List<Double> ticks, double step) {
            double largest = 0;
            for (double t : ticks) {
                largest = Math.max(largest, Math.abs(t));
            }
            String[] labels = new String[ticks.size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = label(ticks.get(i), step, largest);
            }
            return labels;
        }

        /**
         * {@code value} with as many decimals as {@code precision} needs; in thousands (k) when {@code largest}, the
         * largest label of the axis, is 10,000 or more, in millions (M) from a million, so one axis uses one unit.
         */
        static String label(double value, double precision, double largest) {
            double magnitude = Math.abs(largest);
            String suffix = "";
            double divisor = 1;
            if (magnitude >= 1e6) {
                suffix = "M";
                divisor = 1e6;
            } else if (magnitude >= 1e4) {
                suffix = "k";
                divisor = 1e3;
            }
            // As many decimals as the step has (2.5 needs one, 0.25 two), read after rounding away binary noise.
            int decimals = Math.max(0, new BigDecimal(precision / divisor).round(new MathContext(6))
                    .stripTrailingZeros().scale());
            BigDecimal scaled = BigDecimal.valueOf(value / divisor).setScale(Math.min(decimals, 12), RoundingMode.HALF_UP);
            if (scaled.signum() == 0) {
                return "0";
            }
            return scaled.stripTrailingZeros().toPlainString() + suffix;
        }
    }
}
