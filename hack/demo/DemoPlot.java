// Plots the demo's learning rate and loss per step: the preempted-and-resumed job on the devcluster (one series
// per attempt) against the uninterrupted local run. Run as a single-file program with xchart on the class path:
//   java -cp xchart.jar hack/demo/DemoPlot.java OUT.png UNINTERRUPTED.log ATTEMPT1.log [ATTEMPT2.log ...]
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class DemoPlot {
    private static final Pattern STEP = Pattern.compile("event=step step=(\\d+) .*?\\blr=(\\S+) loss=(\\S+)");

    public static void main(String[] args) throws Exception {
        XYChart lr = new XYChartBuilder().width(1000).height(420).title("Learning rate: preempted + resumed vs uninterrupted")
                .xAxisTitle("step").yAxisTitle("learning rate").build();
        XYChart loss = new XYChartBuilder().width(1000).height(420).title("Training loss")
                .xAxisTitle("step").yAxisTitle("loss").build();
        for (int i = 1; i < args.length; i++) {
            List<Double> s = new ArrayList<>(), l = new ArrayList<>(), lo = new ArrayList<>();
            Matcher m = STEP.matcher(Files.readString(Path.of(args[i])));
            while (m.find()) {
                s.add(Double.parseDouble(m.group(1)));
                l.add(Double.parseDouble(m.group(2)));
                lo.add(Double.parseDouble(m.group(3)));
            }
            if (s.isEmpty()) {
                continue;
            }
            String name = i == 1 ? "uninterrupted (local)" : "devcluster attempt " + (i - 1);
            XYSeries a = lr.addSeries(name, s, l);
            XYSeries b = loss.addSeries(name, s, lo);
            if (i == 1) {
                a.setMarker(SeriesMarkers.NONE);
                b.setMarker(SeriesMarkers.NONE);
            } else {
                a.setMarker(SeriesMarkers.CIRCLE);
                b.setMarker(SeriesMarkers.CIRCLE);
            }
        }
        Path out = Path.of(args[0]);
        Path tmpLr = Files.createTempFile("lr", ".png");
        Path tmpLoss = Files.createTempFile("loss", ".png");
        BitmapEncoder.saveBitmap(lr, tmpLr.toString().replace(".png", ""), BitmapEncoder.BitmapFormat.PNG);
        BitmapEncoder.saveBitmap(loss, tmpLoss.toString().replace(".png", ""), BitmapEncoder.BitmapFormat.PNG);
        var top = javax.imageio.ImageIO.read(tmpLr.toFile());
        var bottom = javax.imageio.ImageIO.read(tmpLoss.toFile());
        var both = new java.awt.image.BufferedImage(Math.max(top.getWidth(), bottom.getWidth()),
                top.getHeight() + bottom.getHeight(), java.awt.image.BufferedImage.TYPE_INT_RGB);
        var g = both.createGraphics();
        g.drawImage(top, 0, 0, null);
        g.drawImage(bottom, 0, top.getHeight(), null);
        g.dispose();
        javax.imageio.ImageIO.write(both, "png", out.toFile());
        Files.deleteIfExists(tmpLr);
        Files.deleteIfExists(tmpLoss);
    }
}
