package io.github.attentionsinks.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plot} on CSVs that {@code perplexity} wrote for stories260K (dense, and sinks 4 + 32 over 300 tokens): the
 * PNG decodes, has the requested size and shows each series' colour across the plot; a million-row CSV keeps a
 * one-row spike (min-max per pixel column) and mean downsampling flattens alternating rows; malformed CSVs and bad options fail naming the file, line or option.
 */
class PlotCommandTest {
    /** The documented series colours, in order (docs/cli.md): Tableau blue and orange. */
    static final int BLUE = 0x1f77b4;
    static final int ORANGE = 0xff7f0e;
    static final String HEADER = "input_length,nll,ppl,overall_ppl,memory_bytes,latency_ms";

    @TempDir
    static Path dir;
    static Path dense;
    static Path sinks;

    @BeforeAll
    static void perplexityCsvs() throws Exception {
        Path text = dir.resolve("story.txt");
        Files.writeString(text, PerplexityCommandTest.STORY, StandardCharsets.UTF_8);
        dense = perplexity(text, "dense");
        sinks = perplexity(text, "sinks", "--attention-sink-size", "4", "--window-size", "32");
    }

    private static Path perplexity(Path text, String mode, String... cacheArgs) {
        Path csv = dir.resolve(mode + ".csv");
        String[] base = {"perplexity", "--model", CliRun.stories().toString(), "--device", "cpu", "--mode", mode,
                "--text-file", text.toString(), "--num-tokens", "300", "--output", csv.toString()};
        String[] args = java.util.Arrays.copyOf(base, base.length + cacheArgs.length);
        System.arraycopy(cacheArgs, 0, args, base.length, cacheArgs.length);
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode(), run::toString);
        return csv;
    }

    @Test
    void twoCsvsGiveTwoPanelsWithOneColouredLineEach() throws Exception {
        Path png = dir.resolve("out/two.png");
        CliRun run = CliRun.of("plot", "--output", png.toString(), "--width", "900", "--height", "700",
                "--title", "dense vs sinks", dense.toString(), sinks + "=sinks 4+32");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("", run.out(), "the image goes to the file, nothing to stdout");
        assertTrue(run.err().contains("[plot] wrote " + png + " (900x700): 2 series, 600 rows"), run::toString);

        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "a PNG that ImageIO decodes");
        assertEquals(900, image.getWidth());
        assertEquals(700, image.getHeight());
        // The legend swatches hold each colour in under 40 columns; a drawn line spans most of the ~800-px plot
        // width, in the top panel (overall perplexity) and in the bottom one (memory).
        for (int color : new int[] {BLUE, ORANGE}) {
            int top = columnsWithColor(image, color, 80, 350);
            int bottom = columnsWithColor(image, color, 350, 700);
            String name = String.format(Locale.ROOT, "#%06x", color);
            assertTrue(top > 400, name + " in " + top + " columns of the top panel");
            assertTrue(bottom > 400, name + " in " + bottom + " columns of the bottom panel");
        }
        assertTrue(pixelsWithColor(image, 0x2ca02c, 0, 700) < 5, "no third series colour");
    }

    @Test
    void defaultSizeGrowsWithThePanels() throws Exception {
        Path png = dir.resolve("three-panels.png");
        CliRun run = CliRun.of("plot", "--output", png.toString(), "--metric", "overall_ppl,nll",
                "--metric", "latency_ms", "--downsample", "mean", dense.toString());
        assertEquals(0, run.exitCode(), run::toString);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1000, image.getWidth());
        assertEquals(120 + 320 * 3, image.getHeight());
        assertTrue(columnsWithColor(image, BLUE, 80, image.getHeight()) > 500);
    }

    @Test
    void aMillionRowsKeepAOneRowSpike(@TempDir Path tmp) throws Exception {
        Path csv = tmp.resolve("long.csv");
        int rows = 1_000_000;
        int spikeRow = 654_321;
        try (BufferedWriter w = Files.newBufferedWriter(csv)) {
            w.write(HEADER);
            w.write('\n');
            for (int i = 1; i <= rows; i++) {
                w.write(Integer.toString(i));
                w.write(i == spikeRow ? ",6.90775528,1000.000000,2.000000,1048576,1.000\n"
                        : ",0.69314718,2.000000,2.000000,1048576,1.000\n");
            }
        }
        Path minmax = tmp.resolve("minmax.png");
        CliRun run = CliRun.of("plot", "--output", minmax.toString(), "--metric", "ppl", "--linear-y", "--title", "",
                "--height", "500", csv.toString());
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("1 series, 1000000 rows"), run::toString);
        BufferedImage image = ImageIO.read(minmax.toFile());
        // Below the legend: the flat line sits at the bottom of the panel, the spike reaches its top.
        int[] extent = verticalExtent(image, BLUE, 40);
        assertTrue(extent[1] - extent[0] > 300, "min-max keeps the spike: blue from y=" + extent[0] + " to " + extent[1]);
    }

    @Test
    void minMaxDrawsTheBandOfAlternatingRowsAndMeanTheirMiddle(@TempDir Path tmp) throws Exception {
        Path csv = tmp.resolve("alternating.csv");
        try (BufferedWriter w = Files.newBufferedWriter(csv)) {
            w.write(HEADER);
            w.write('\n');
            for (int i = 1; i <= 1_000_000; i++) {
                w.write(Integer.toString(i));
                w.write(i % 2 == 0 ? ",1.0,2.7,2.7,1048576,3.000\n" : ",1.0,2.7,2.7,1048576,1.000\n");
            }
        }
        Path minmax = tmp.resolve("band.png");
        CliRun run = CliRun.of("plot", "--output", minmax.toString(), "--metric", "latency_ms", "--title", "",
                "--height", "500", csv.toString());
        assertEquals(0, run.exitCode(), run::toString);
        // Mid-plot columns: 1..3 ms in every column fills the panel (~400 px high) from bottom to top.
        int band = bluePixelsInColumn(ImageIO.read(minmax.toFile()), 500);
        assertTrue(band > 300, "min-max band: " + band + " blue pixels in column 500");

        Path mean = tmp.resolve("mean.png");
        run = CliRun.of("plot", "--output", mean.toString(), "--metric", "latency_ms", "--title", "", "--height",
                "500", "--downsample", "mean", csv.toString());
        assertEquals(0, run.exitCode(), run::toString);
        int line = bluePixelsInColumn(ImageIO.read(mean.toFile()), 500);
        // Columns hold 1121 or 1122 rows, so their means differ by up to 0.001: a near-flat line, not a band.
        assertTrue(line > 0 && line < 15, "mean: a line near 2 ms, " + line + " blue pixels in column 500");
    }

    private static int bluePixelsInColumn(BufferedImage image, int x) {
        int n = 0;
        for (int y = 40; y < image.getHeight(); y++) {
            n += near(image.getRGB(x, y), BLUE) ? 1 : 0;
        }
        return n;
    }

    @Test
    void malformedCsvsFailWithTheFileAndLine(@TempDir Path tmp) throws Exception {
        assertCsvError(tmp, "short-header.csv", "input_length,nll,ppl\n1,0.5,1.6\n",
                "line 1: header is 'input_length,nll,ppl', expected '" + HEADER + "'");
        assertCsvError(tmp, "fields.csv", HEADER + "\n1,0.5,1.6,1.6,100,1.0\n2,0.5,1.6,1.6,100\n",
                "line 3: 5 field(s), expected 6");
        assertCsvError(tmp, "word.csv", HEADER + "\n1,abc,1.6,1.6,100,1.0\n", "line 2: nll 'abc' is not a number");
        assertCsvError(tmp, "blank.csv", HEADER + "\n1,0.5,1.6,1.6,100,1.0\n\n2,0.5,1.6,1.6,100,1.0\n",
                "line 3: 1 field(s), expected 6");
        assertCsvError(tmp, "order.csv", HEADER + "\n2,0.5,1.6,1.6,100,1.0\n2,0.5,1.6,1.6,100,1.0\n",
                "line 3: input_length 2 does not increase");
        assertCsvError(tmp, "fraction.csv", HEADER + "\n1.5,0.5,1.6,1.6,100,1.0\n",
                "line 2: input_length '1.5' is not a whole number >= 1");
        assertCsvError(tmp, "header-only.csv", HEADER + "\n", ": no data rows after the header");
        assertCsvError(tmp, "empty.csv", "", ": file is empty");

        Path missing = tmp.resolve("missing.csv");
        CliRun run = CliRun.of("plot", "--output", tmp.resolve("m.png").toString(), dense.toString(),
                missing.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals("error: " + missing + ": file not found\n", run.err());
        assertFalse(Files.exists(tmp.resolve("m.png")), "no image when an input is bad");

        Path zeros = tmp.resolve("zero-latency.csv");
        Files.writeString(zeros, HEADER + "\n1,0.5,1.6,1.6,100,0.000\n2,0.5,1.6,1.6,100,0.000\n");
        run = CliRun.of("plot", "--output", tmp.resolve("z.png").toString(), "--metric", "latency_ms", "--log-y",
                zeros.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("error: " + zeros + ": no positive latency_ms values to plot on a log scale"),
                run::toString);

        run = CliRun.of("plot", "--output", tmp.resolve("s.png").toString(), "--skip-first", "300", dense.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals("error: " + dense + ": no rows left after --skip-first 300 (the last input_length is 300)\n",
                run.err());
    }

    private static void assertCsvError(Path tmp, String name, String content, String expected) throws Exception {
        Path csv = tmp.resolve(name);
        Files.writeString(csv, content);
        Path png = tmp.resolve(name + ".png");
        CliRun run = CliRun.of("plot", "--output", png.toString(), dense.toString(), csv.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals("", run.out());
        assertTrue(run.err().startsWith("error: " + csv) && run.err().contains(expected), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertFalse(Files.exists(png), "no image when an input is bad");
    }

    @Test
    void badOptionsAreUsageErrors() {
        String png = dir.resolve("u.png").toString();
        String csv = dense.toString();
        assertUsage("CSV[=LABEL]", "plot", "--output", png);
        assertUsage("--output", "plot", csv);
        assertUsage("--output must name a .png file", "plot", "--output", csv, csv);
        assertUsage("unknown metric 'perplexity'", "plot", "--output", png, "--metric", "perplexity", csv);
        assertUsage("--metric nll is given twice", "plot", "--output", png, "--metric", "nll,ppl,nll", csv);
        assertUsage("mutually exclusive", "plot", "--output", png, "--log-y", "--linear-y", csv);
        assertUsage("--width must be in [320, 8000], got 10", "plot", "--output", png, "--width", "10", csv);
        assertUsage("--height 300 leaves", "plot", "--output", png, "--height", "300", "--metric",
                "nll,ppl,latency_ms", csv);
        assertUsage("--skip-first must be >= 0", "plot", "--output", png, "--skip-first", "-1", csv);
        assertUsage("--mark-x 'end'", "plot", "--output", png, "--mark-x", "end", csv);
        assertUsage("unknown downsampling 'median'", "plot", "--output", png, "--downsample", "median", csv);
        assertUsage("expected CSV or CSV=LABEL", "plot", "--output", png, "no-such.csv=", csv);
    }

    private static void assertUsage(String expected, String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("error: ") && run.err().contains(expected), run::toString);
    }

    @Test
    void metricsNameTheirCsvColumnsAndTickLabelsUseOneUnitPerAxis() {
        for (PlotMetric metric : PlotMetric.values()) {
            assertEquals(metric.column, HEADER.split(",")[metric.index], metric.name());
        }
        PerplexityChart.Axis x = PerplexityChart.Axis.linear(0, 1_000_000, 6, false);
        assertEquals("[0, 0.2M, 0.4M, 0.6M, 0.8M, 1M]", java.util.Arrays.toString(x.labels));
        x = PerplexityChart.Axis.linear(0, 12_000, 7, false);
        assertEquals("[0, 2k, 4k, 6k, 8k, 10k, 12k]", java.util.Arrays.toString(x.labels));
        assertEquals("[2, 4, 6]", java.util.Arrays.toString(PerplexityChart.Axis.linear(1.3, 6.0, 5, false).labels));
        assertEquals("[0, 0.25, 0.5, 0.75, 1]",
                java.util.Arrays.toString(PerplexityChart.Axis.linear(0, 1, 5, false).labels));
        // Decades when three fit; within one decade, every integer mantissa.
        assertEquals("[10, 100, 1000]", java.util.Arrays.toString(PerplexityChart.Axis.log(2, 3000, 8).labels));
        assertEquals("[4, 5, 6, 7, 8, 9]", java.util.Arrays.toString(PerplexityChart.Axis.log(3.3, 9.0, 6).labels));
    }

    /** Pixels within a small RGB distance of {@code rgb} count (anti-aliased edges blend with the background). */
    private static boolean near(int pixel, int rgb) {
        int dr = ((pixel >> 16) & 0xff) - ((rgb >> 16) & 0xff);
        int dg = ((pixel >> 8) & 0xff) - ((rgb >> 8) & 0xff);
        int db = (pixel & 0xff) - (rgb & 0xff);
        return dr * dr + dg * dg + db * db <= 30 * 30;
    }

    private static int columnsWithColor(BufferedImage image, int rgb, int fromY, int toY) {
        int columns = 0;
        for (int x = 0; x < image.getWidth(); x++) {
            for (int y = fromY; y < toY; y++) {
                if (near(image.getRGB(x, y), rgb)) {
                    columns++;
                    break;
                }
            }
        }
        return columns;
    }

    private static int pixelsWithColor(BufferedImage image, int rgb, int fromY, int toY) {
        int n = 0;
        for (int x = 0; x < image.getWidth(); x++) {
            for (int y = fromY; y < toY; y++) {
                n += near(image.getRGB(x, y), rgb) ? 1 : 0;
            }
        }
        return n;
    }

    /** {first row, last row} holding the colour at or below {@code fromY}. */
    private static int[] verticalExtent(BufferedImage image, int rgb, int fromY) {
        int first = Integer.MAX_VALUE;
        int last = -1;
        for (int y = fromY; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (near(image.getRGB(x, y), rgb)) {
                    first = Math.min(first, y);
                    last = y;
                    break;
                }
            }
        }
        return new int[] {first, last};
    }
}
