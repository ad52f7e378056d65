package io.github.attentionsinks.examples.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code plot}: draws CSVs written by {@code perplexity} into one PNG, one panel per metric against input length
 * and one line per CSV, as the reference benchmark's plots do. Each file is read twice, row by row (ranges, then
 * per-pixel-column bins), so memory does not grow with the number of rows.
 */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Plot CSVs written by 'perplexity' into a PNG: by default overall perplexity (log scale) and "
                + "memory (MiB) against input length, one line per CSV."})
final class PlotCommand implements Callable<Integer> {
    static final int MAX_SIDE = 8000;
    static final String DEFAULT_TITLE = "Perplexity benchmark";

    @ParentCommand
    AttentionSinksCli cli;

    @Spec
    CommandSpec spec;

    @Option(names = "--output", paramLabel = "FILE.png", required = true,
            description = "The PNG to write (parent folders are created; an existing file is replaced).")
    Path output;

    @Option(names = "--title", paramLabel = "T", defaultValue = DEFAULT_TITLE,
            description = "Title above the legend; empty for none. Default: ${DEFAULT-VALUE}.")
    String title;

    @Option(names = "--metric", paramLabel = "M", split = ",", converter = PlotMetric.Converter.class,
            description = "Panels, top to bottom, repeatable or comma-separated: nll, overall_ppl, ppl, memory_bytes "
                    + "(drawn in MiB), latency_ms. Default: overall_ppl,memory_bytes.")
    List<PlotMetric> metrics;

    @ArgGroup(exclusive = true)
    Scale scale;

    static final class Scale {
        @Option(names = "--log-y", required = true,
                description = "Logarithmic y axis on every panel (default: only for ppl and overall_ppl).")
        boolean log;

        @Option(names = "--linear-y", required = true, description = "Linear y axis on every panel.")
        boolean linear;
    }

    @Option(names = "--skip-first", paramLabel = "N", defaultValue = "0",
            description = "Leave out rows with input_length <= N: the first tokens' perplexity swings widely and "
                    + "stretches the axis (the reference plot skips 100). Default: ${DEFAULT-VALUE}.")
    long skipFirst;

    @Option(names = "--mark-x", paramLabel = "X[=LABEL]",
            description = "Repeatable: a dashed vertical line at input length X on every panel, labelled in the top "
                    + "one, e.g. --mark-x '512=trained context'.")
    List<String> marks;

    @Option(names = "--width", paramLabel = "PX", defaultValue = "1000",
            description = "Image width in pixels. Default: ${DEFAULT-VALUE}.")
    int width;

    @Option(names = "--height", paramLabel = "PX",
            description = "Image height in pixels. Default: 120 + 320 per panel (760 for two).")
    Integer height;

    @Option(names = "--downsample", paramLabel = "minmax|mean", defaultValue = "minmax",
            converter = DownsampleConverter.class,
            description = "Rows that fall into one pixel column are drawn as their min-max range (the full line's "
                    + "pixels, spikes kept) or as their mean (smooths per-token nll/ppl/latency). "
                    + "Default: ${DEFAULT-VALUE}.")
    PerplexityChart.Downsample downsample;

    @Parameters(paramLabel = "CSV[=LABEL]", arity = "1..*",
            description = "CSVs from 'perplexity --output'. The legend label defaults to the file name without its "
                    + "extension; CSV=LABEL sets it (split at the first '=' unless the whole argument is a file).")
    List<String> inputs;

    record Input(Path file, String label) {
    }

    @Override
    public Integer call() throws IOException {
        List<Input> series = parseInputs();
        List<PlotMetric> panels = panels();
        List<PerplexityChart.Marker> markers = markers();
        String fileName = output.getFileName() == null ? "" : output.getFileName().toString();
        if (!fileName.toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new ParameterException(spec.commandLine(), "--output must name a .png file, got '" + output + "'");
        }
        int imageHeight = height != null ? height : 120 + 320 * panels.size();
        checkSide("--width", width, 320);
        checkSide("--height", imageHeight, 200);
        if (skipFirst < 0) {
            throw new ParameterException(spec.commandLine(), "--skip-first must be >= 0, got " + skipFirst);
        }

        // Before the first AWT class loads: no display is needed nor wanted (servers, CI, containers).
        System.setProperty("java.awt.headless", "true");

        long started = System.nanoTime();
        List<PerplexityCsv.Summary> summaries = new ArrayList<>();
        for (Input input : series) {
            summaries.add(PerplexityCsv.summarize(input.file, skipFirst));
        }
        boolean[] logarithmic = new boolean[panels.size()];
        double[][] ranges = new double[panels.size()][];
        double maxInputLength = 0;
        for (PerplexityCsv.Summary summary : summaries) {
            maxInputLength = Math.max(maxInputLength, summary.maxInputLength);
        }
        for (int p = 0; p < panels.size(); p++) {
            PlotMetric metric = panels.get(p);
            logarithmic[p] = scale != null ? scale.log : metric.logByDefault;
            ranges[p] = range(metric, logarithmic[p], series, summaries);
        }

        PerplexityChart chart;
        try {
            chart = new PerplexityChart(width, imageHeight, title, series.stream().map(Input::label).toList(), panels,
                    logarithmic, ranges, maxInputLength);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        for (PerplexityChart.Marker marker : markers) {
            chart.addMarker(marker);
        }
        long rows = 0;
        for (int s = 0; s < series.size(); s++) {
            int index = s;
            PerplexityCsv.forEachRow(series.get(s).file, row -> {
                if (row[PerplexityCsv.INPUT_LENGTH] > skipFirst) {
                    chart.add(index, row);
                }
            });
            rows += summaries.get(s).rows;
        }
        BufferedImage image = chart.render(downsample);
        write(image);

        StringBuilder panelText = new StringBuilder();
        for (int p = 0; p < panels.size(); p++) {
            panelText.append(p == 0 ? "" : ", ").append(panels.get(p).column).append(logarithmic[p] ? " (log)" : "");
        }
        cli.err.println(String.format(Locale.ROOT, "[plot] wrote %s (%dx%d): %d series, %d rows, panels %s, %.2f s",
                output, width, imageHeight, series.size(), rows, panelText, (System.nanoTime() - started) / 1e9));
        if (series.size() > PerplexityChart.PALETTE.length) {
            cli.err.println("[plot] warning: more than " + PerplexityChart.PALETTE.length
                    + " series; colours repeat");
        }
        return 0;
    }

    private List<Input> parseInputs() {
        List<Input> parsed = new ArrayList<>();
        for (String argument : inputs) {
            int eq = argument.indexOf('=');
            Path file;
            String label;
            if (eq < 0 || Files.isRegularFile(Path.of(argument))) {
                file = Path.of(argument);
                label = null;
            } else {
                file = Path.of(argument.substring(0, eq));
                label = argument.substring(eq + 1).strip();
                if (argument.substring(0, eq).isBlank() || label.isEmpty()) {
                    throw new ParameterException(spec.commandLine(), "'" + argument
                            + "': expected CSV or CSV=LABEL with a file name and a label");
                }
            }
            if (label == null) {
                String name = file.getFileName() == null ? argument : file.getFileName().toString();
                int dot = name.lastIndexOf('.');
                label = dot > 0 ? name.substring(0, dot) : name;
            }
            parsed.add(new Input(file, label));
        }
        return parsed;
    }

    private List<PerplexityChart.Marker> markers() {
        List<PerplexityChart.Marker> parsed = new ArrayList<>();
        for (String mark : marks == null ? List.<String>of() : marks) {
            int eq = mark.indexOf('=');
            String number = (eq < 0 ? mark : mark.substring(0, eq)).strip();
            double at;
            try {
                at = Double.parseDouble(number);
            } catch (NumberFormatException e) {
                at = Double.NaN;
            }
            if (!(at >= 0) || Double.isInfinite(at)) {
                throw new ParameterException(spec.commandLine(),
                        "--mark-x '" + mark + "': expected an input length >= 0, optionally followed by =LABEL");
            }
            parsed.add(new PerplexityChart.Marker(at, eq < 0 ? null : mark.substring(eq + 1).strip()));
        }
        return parsed;
    }

    private List<PlotMetric> panels() {
        if (metrics == null || metrics.isEmpty()) {
            return List.of(PlotMetric.OVERALL_PPL, PlotMetric.MEMORY_BYTES);
        }
        EnumSet<PlotMetric> seen = EnumSet.noneOf(PlotMetric.class);
        for (PlotMetric metric : metrics) {
            if (!seen.add(metric)) {
                throw new ParameterException(spec.commandLine(), "--metric " + metric.column + " is given twice");
            }
        }
        return List.copyOf(metrics);
    }

    private void checkSide(String option, int value, int min) {
        if (value < min || value > MAX_SIDE) {
            throw new ParameterException(spec.commandLine(),
                    option + " must be in [" + min + ", " + MAX_SIDE + "], got " + value);
        }
    }

    /** {min, max} over all series in axis units; an error when a panel has nothing it can draw. */
    private static double[] range(PlotMetric metric, boolean log, List<Input> series,
            List<PerplexityCsv.Summary> summaries) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (PerplexityCsv.Summary summary : summaries) {
            double lo = log ? summary.minPositive[metric.index] : summary.min[metric.index];
            if (lo <= summary.max[metric.index]) {
                min = Math.min(min, lo * metric.scale);
                max = Math.max(max, summary.max[metric.index] * metric.scale);
            }
        }
        if (!(min <= max)) {
            String files = String.join(", ", series.stream().map(i -> i.file.toString()).toList());
            throw new PerplexityCsv.FormatException(files + ": no " + (log ? "positive " : "finite ") + metric.column
                    + " values to plot" + (log ? " on a log scale (try --linear-y)" : ""));
        }
        return new double[] {min, max};
    }

    /** Through a temporary file in the same folder, so a failed write leaves no half-written PNG behind. */
    private void write(BufferedImage image) throws IOException {
        Path target = output.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path temporary = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            if (!ImageIO.write(image, "png", temporary.toFile())) {
                throw new IOException("no PNG writer in this Java runtime");
            }
            try {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new IOException(output + ": cannot write the PNG (" + e.getMessage() + ")", e);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Parses {@code minmax} or {@code mean}. */
    static final class DownsampleConverter implements picocli.CommandLine.ITypeConverter<PerplexityChart.Downsample> {
        @Override
        public PerplexityChart.Downsample convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "minmax" -> PerplexityChart.Downsample.MINMAX;
                case "mean" -> PerplexityChart.Downsample.MEAN;
                default -> throw new picocli.CommandLine.TypeConversionException(
                        "unknown downsampling '" + value + "': use minmax or mean");
            };
        }
    }
}
