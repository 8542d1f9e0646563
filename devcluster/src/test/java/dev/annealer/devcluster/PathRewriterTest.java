package dev.annealer.devcluster;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PathRewriterTest {

    private final PathRewriter r = new PathRewriter(Map.of(
            "/etc/annealer/job", "/pods/p/rootfs/etc/annealer/job",
            "/var/lib/annealer/checkpoints", "/pods/p/rootfs/var/lib/annealer/checkpoints",
            "/var/lib/annealer", "/pods/p/rootfs/var/lib/annealer",
            "/dev/termination-log", "/pods/p/rootfs/dev/termination-log"));

    @Test
    void rewritesWholeArgumentsAndPathsBelowAMount() {
        assertThat(r.rewriteAll(List.of("train", "-f", "/etc/annealer/job/job.yaml", "--checkpoint-dir",
                "/var/lib/annealer/checkpoints"))).containsExactly("train", "-f",
                "/pods/p/rootfs/etc/annealer/job/job.yaml", "--checkpoint-dir",
                "/pods/p/rootfs/var/lib/annealer/checkpoints");
    }

    @Test
    void rewritesAfterEqualsSignsInsideScriptsAndInPathLists() {
        assertThat(r.rewrite("--checkpoint-dir=/var/lib/annealer/checkpoints"))
                .isEqualTo("--checkpoint-dir=/pods/p/rootfs/var/lib/annealer/checkpoints");
        assertThat(r.rewrite("echo ok > /dev/termination-log; cat '/etc/annealer/job/job.yaml'"))
                .isEqualTo("echo ok > /pods/p/rootfs/dev/termination-log; cat '/pods/p/rootfs/etc/annealer/job/job.yaml'");
        assertThat(r.rewrite("/etc/annealer/job:/var/lib/annealer"))
                .isEqualTo("/pods/p/rootfs/etc/annealer/job:/pods/p/rootfs/var/lib/annealer");
    }

    @Test
    void longestMountWinsAndLookalikesStay() {
        assertThat(r.rewrite("/var/lib/annealer/checkpoints/step-000000000010"))
                .isEqualTo("/pods/p/rootfs/var/lib/annealer/checkpoints/step-000000000010");
        assertThat(r.rewrite("/var/lib/annealerx/y")).isEqualTo("/var/lib/annealerx/y");
        assertThat(r.rewrite("relative/etc/annealer/job")).isEqualTo("relative/etc/annealer/job");
        assertThat(r.rewrite(null)).isNull();
    }
}
