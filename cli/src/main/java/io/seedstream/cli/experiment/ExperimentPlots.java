package io.seedstream.cli.experiment;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/** The experiment report's PNG plots, drawn with JFreeChart in a headless JVM. */
final class ExperimentPlots {

    static final int WIDTH = 900;
    static final int HEIGHT = 480;

    /** One colour per arm, in the report's arm order, readable on white. */
    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private ExperimentPlots() {}

    /**
     * The mean over seeds against x for each arm, with a band from the lowest to the highest seed.
     *
     * @param byArm for each arm (in order), for each x, the values of its seeds
     */
    static void meanWithSpread(Path png, String title, String xLabel, String yLabel,
            Map<String, SortedMap<Long, List<Double>>> byArm) throws IOException {
        Map<String, SortedMap<Long, double[]>> bands = new LinkedHashMap<>();
        byArm.forEach((arm, points) -> {
            SortedMap<Long, double[]> b = new TreeMap<>();
            points.forEach((x, values) -> {
                List<Double> finite = values.stream().filter(Double::isFinite).toList();
                if (!finite.isEmpty()) {
                    b.put(x, new double[] {Stats.mean(finite), Stats.min(finite), Stats.max(finite)});
                }
            });
            bands.put(arm, b);
        });
        bands(png, title, xLabel, yLabel, bands);
    }

    /**
     * A line with a shaded band around it for each arm.
     *
     * @param byArm for each arm (in order), for each x: {line, band's low, band's high}
     */
    static void bands(Path png, String title, String xLabel, String yLabel, Map<String, SortedMap<Long, double[]>> byArm)
            throws IOException {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (Map.Entry<String, SortedMap<Long, double[]>> arm : byArm.entrySet()) {
            YIntervalSeries s = new YIntervalSeries(arm.getKey());
            arm.getValue().forEach((x, v) -> s.add(x, v[0], v[1], v[2]));
            data.addSeries(s);
        }
        DeviationRenderer r = new DeviationRenderer(true, false);
        style(r, byArm.size());
        r.setAlpha(0.15f);
        for (int i = 0; i < byArm.size(); i++) {
            r.setSeriesFillPaint(i, COLOURS[i % COLOURS.length]);
        }
        write(png, title, xLabel, yLabel, data, r);
    }

    /** Plain lines, one per series (for example one per arm and seed against wall time). */
    static void lines(Path png, String title, String xLabel, String yLabel, Map<String, SortedMap<Double, Double>> series)
            throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, SortedMap<Double, Double>> e : series.entrySet()) {
            XYSeries s = new XYSeries(e.getKey());
            e.getValue().forEach((x, y) -> {
                if (Double.isFinite(y)) {
                    s.add(x, y);
                }
            });
            data.addSeries(s);
        }
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        style(r, series.size());
        write(png, title, xLabel, yLabel, data, r);
    }

    private static void style(XYLineAndShapeRenderer r, int n) {
        for (int i = 0; i < n; i++) {
            r.setSeriesPaint(i, COLOURS[i % COLOURS.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
    }

    private static void write(Path png, String title, String xLabel, String yLabel,
            org.jfree.data.xy.XYDataset data, XYLineAndShapeRenderer renderer) throws IOException {
        NumberAxis x = new NumberAxis(xLabel);
        NumberAxis y = new NumberAxis(yLabel);
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
    }

    /** Mean, spread and extremes of a few seeds' values. */
    static final class Stats {

        private Stats() {}

        static double mean(List<Double> v) {
            return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }

        /** Sample standard deviation (n - 1); 0 for one value. */
        static double sd(List<Double> v) {
            if (v.size() < 2) {
                return v.isEmpty() ? Double.NaN : 0;
            }
            double m = mean(v);
            return Math.sqrt(v.stream().mapToDouble(d -> (d - m) * (d - m)).sum() / (v.size() - 1));
        }

        static double min(List<Double> v) {
            return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        }

        static double max(List<Double> v) {
            return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }
    }
}
