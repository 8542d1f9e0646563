package dev.annealer.e2e;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's picture: top, the learning rate the spec promises (every step, from the schedule engine) with the
 * rates each attempt logged on top of it; bottom, the training loss each attempt logged and the uninterrupted run's.
 * A dashed vertical line marks each preemption.
 */
public final class LrLossPlot {

    private static final Color[] ATTEMPT = {new Color(0xD6, 0x27, 0x28), new Color(0x1F, 0x77, 0xB4),
            new Color(0x2C, 0xA0, 0x2C), new Color(0x94, 0x67, 0xBD)};

    private LrLossPlot() {
    }

    /**
     * @param title      chart title (job name)
     * @param schedule   the promised curve
     * @param attempts   the attempts' logs, in order
     * @param reference  the uninterrupted run (its loss is drawn as a line)
     */
    public static void write(Path png, String title, JobSchedule schedule, List<TrainerLog> attempts,
                             TrainerLog reference) throws IOException {
        XYChart lr = new XYChartBuilder().width(1000).height(420).title(title + ": learning rate")
                .xAxisTitle("step").yAxisTitle("learning rate").build();
        XYChart loss = new XYChartBuilder().width(1000).height(420).title(title + ": training loss")
                .xAxisTitle("step").yAxisTitle("loss (log scale)").build();
        for (XYChart c : List.of(lr, loss)) {
            c.getStyler().setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE)
                    .setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        }
        loss.getStyler().setYAxisLogarithmic(true);
        for (XYChart c : List.of(lr, loss)) {
            c.getStyler().setXAxisMin(0.0).setXAxisMax((double) schedule.maxSteps());
        }

        int n = (int) schedule.maxSteps();
        double[] xs = new double[n];
        double[] ys = new double[n];
        double maxLr = 0;
        for (int s = 0; s < n; s++) {
            xs[s] = s + 1;
            ys[s] = schedule.lr(s);
            maxLr = Math.max(maxLr, ys[s]);
        }
        XYSeries curve = lr.addSeries("spec (schedule engine)", xs, ys);
        curve.setMarker(SeriesMarkers.NONE).setLineColor(Color.GRAY);

        List<Double> refX = new ArrayList<>();
        List<Double> refLoss = new ArrayList<>();
        for (TrainerLog.StepLine s : reference.steps()) {
            if (s.loss() > 0 && Double.isFinite(s.loss())) {
                refX.add((double) s.step());
                refLoss.add(s.loss());
            }
        }
        if (!refX.isEmpty()) {
            loss.addSeries("uninterrupted run", refX, refLoss).setMarker(SeriesMarkers.NONE).setLineColor(Color.GRAY);
        }
        double maxLoss = refLoss.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        double minLoss = refLoss.stream().mapToDouble(Double::doubleValue).min().orElse(1e-3);

        for (int i = 0; i < attempts.size(); i++) {
            TrainerLog a = attempts.get(i);
            if (a.steps().isEmpty()) {
                continue;
            }
            Color color = ATTEMPT[i % ATTEMPT.length];
            String name = "attempt " + (i + 1) + (a.resumedAt().isPresent() ? " (resumed at step "
                    + a.resumedAt().getAsLong() + ")" : "") + (a.preemptedAt().isPresent() ? " (preempted at step "
                    + a.preemptedAt().getAsLong() + ")" : "");
            List<Double> x = a.steps().stream().map(s -> (double) s.step()).toList();
            XYSeries l = lr.addSeries(name, x, a.steps().stream().map(TrainerLog.StepLine::lr).toList());
            l.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter).setMarker(SeriesMarkers.CIRCLE)
                    .setMarkerColor(color);
            List<Double> lx = new ArrayList<>();
            List<Double> ly = new ArrayList<>();
            for (TrainerLog.StepLine s : a.steps()) {
                if (s.loss() > 0 && Double.isFinite(s.loss())) {
                    lx.add((double) s.step());
                    ly.add(s.loss());
                }
            }
            if (!lx.isEmpty()) {
                loss.addSeries(name + " ", lx, ly).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter)
                        .setMarker(SeriesMarkers.CIRCLE).setMarkerColor(color);
            }
            if (a.preemptedAt().isPresent()) {
                double p = a.preemptedAt().getAsLong();
                dashed(lr.addSeries("preemption " + (i + 1), new double[]{p, p}, new double[]{0, maxLr}), color);
                dashed(loss.addSeries("preemption " + (i + 1) + " ", new double[]{p, p},
                        new double[]{minLoss, maxLoss}), color);
            }
        }
        Files.createDirectories(png.toAbsolutePath().getParent());
        String base = png.toString().endsWith(".png") ? png.toString().substring(0, png.toString().length() - 4)
                : png.toString();
        BitmapEncoder.saveBitmap(List.of(lr, loss), 2, 1, base, BitmapEncoder.BitmapFormat.PNG);
    }

    private static void dashed(XYSeries s, Color color) {
        s.setMarker(SeriesMarkers.NONE).setLineColor(color)
                .setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[]{6f, 4f}, 0f));
    }
}
