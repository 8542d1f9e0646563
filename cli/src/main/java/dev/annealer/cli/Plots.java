package dev.annealer.cli;

import dev.annealer.schedule.Schedule;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** LR-vs-step plots with xchart: cycle boundaries as vertical lines, the warmup as a shaded area. */
final class Plots {

    /** Steps drawn exactly up to this many; beyond it the curve is sampled (with every boundary kept). */
    static final int MAX_POINTS = 4000;

    private Plots() {
    }

    static XYChart chart(Schedule s, long steps, String title) {
        XYChart chart = new XYChartBuilder().width(1000).height(480).title(title)
                .xAxisTitle("optimizer step").yAxisTitle("learning rate").build();
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        // round ticks: the x axis ends on a multiple of a 1-2-5 step, the y axis reads plain decimals (0.003, not 3.0E-3)
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisMax(niceAxisMax(Math.max(1, steps - 1)));
        chart.getStyler().setYAxisMin(0.0);
        double peak = 0;
        for (long i = 0; i < steps; i += Math.max(1, steps / MAX_POINTS)) {
            peak = Math.max(peak, s.lr(i));
        }
        chart.getStyler().setYAxisDecimalPattern(plainPattern(peak));
        chart.getStyler().setXAxisDecimalPattern("#,##0");

        List<Long> bounds = ScheduleTable.boundaries(s, steps);
        TreeSet<Long> xs = new TreeSet<>();
        long stride = Math.max(1, steps / MAX_POINTS);
        for (long i = 0; i < steps; i += stride) {
            xs.add(i);
        }
        xs.add(steps - 1);
        for (long b : bounds) {
            xs.add(b);
            xs.add(b - 1);
        }
        long w = Math.min(s.warmupSteps(), steps);
        if (w > 0) {
            xs.add(w - 1);
            xs.add(Math.min(w, steps - 1));
            List<Double> wx = new ArrayList<>();
            List<Double> wy = new ArrayList<>();
            for (long x : xs.headSet(w, true)) {
                wx.add((double) x);
                wy.add(s.lr(x));
            }
            XYSeries warm = chart.addSeries("warmup (" + w + " steps)", wx, wy);
            warm.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
            warm.setMarker(SeriesMarkers.NONE);
            warm.setFillColor(new Color(255, 165, 0, 90));
            warm.setLineColor(new Color(255, 165, 0, 160));
        }
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (long i : xs) {
            x.add((double) i);
            y.add(s.lr(i));
        }
        XYSeries lr = chart.addSeries("learning rate", x, y);
        lr.setMarker(SeriesMarkers.NONE);
        lr.setLineColor(new Color(31, 119, 180));
        lr.setLineWidth(1.6f);
        for (long b : bounds) {
            AnnotationLine line = new AnnotationLine(b, true, false);
            chart.addAnnotation(line);
        }
        chart.getStyler().setAnnotationLineColor(new Color(160, 160, 160));
        chart.getStyler().setAnnotationLineStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
                10f, new float[] {4f, 4f}, 0f));
        return chart;
    }

    /** The smallest multiple of a 1-2-5 x 10^k step (about 10 ticks) that is >= {@code max}: 1724 -> 1800. */
    static double niceAxisMax(double max) {
        double raw = max / 10;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[] {1, 2, 5, 10}) {
            step = m * mag;
            if (step >= raw) {
                break;
            }
        }
        return Math.max(step, Math.ceil(max / step) * step);
    }

    /** A decimal pattern that shows values up to {@code max} plainly with two significant digits: 3e-3 -> 0.#####. */
    static String plainPattern(double max) {
        int decimals = max > 0 && Double.isFinite(max) ? Math.max(1, 1 - (int) Math.floor(Math.log10(max)) + 1) : 1;
        return "0." + "#".repeat(Math.min(decimals, 12));
    }

    /** Writes the chart as PNG or SVG, chosen by the file extension. */
    static void write(XYChart chart, Path out) throws IOException {
        String name = out.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new BadInputException("--out " + out + ": the directory " + parent + " does not exist");
        }
        try (OutputStream os = Files.newOutputStream(out)) {
            if (name.endsWith(".png")) {
                BitmapEncoder.saveBitmap(chart, os, BitmapEncoder.BitmapFormat.PNG);
            } else if (name.endsWith(".svg")) {
                VectorGraphicsEncoder.saveVectorGraphic(chart, os, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            } else {
                throw new BadInputException("--out must end with .png or .svg (got " + out + ")");
            }
        }
    }
}
