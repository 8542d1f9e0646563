package dev.annealer.devcluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link ContainerLogs#tailStart}: where the last N lines of a byte range start. */
class ContainerLogsTest {

    @TempDir
    Path dir;

    private String tail(String text, long from, long to, int lines) throws Exception {
        Path f = dir.resolve("log");
        Files.writeString(f, text);
        try (FileChannel ch = FileChannel.open(f)) {
            long end = to < 0 ? ch.size() : to;
            return text.substring((int) ContainerLogs.tailStart(ch, from, end, lines), (int) end);
        }
    }

    @Test
    void lastLinesOfARange() throws Exception {
        String t = "a\nbb\nccc\n";
        assertThat(tail(t, 0, -1, 1)).isEqualTo("ccc\n");
        assertThat(tail(t, 0, -1, 2)).isEqualTo("bb\nccc\n");
        assertThat(tail(t, 0, -1, 3)).isEqualTo(t);
        assertThat(tail(t, 0, -1, 10)).isEqualTo(t);
        assertThat(tail(t, 0, -1, 0)).isEmpty();
        assertThat(tail("a\nbb\nunfinished", 0, -1, 1)).isEqualTo("unfinished");
        assertThat(tail("a\nbb\nunfinished", 0, -1, 2)).isEqualTo("bb\nunfinished");
        // a range inside the file: never before its start
        assertThat(tail("old\nx\ny\n", 4, -1, 5)).isEqualTo("x\ny\n");
        assertThat(tail("old\nx\ny\nnext\n", 4, 8, 1)).isEqualTo("y\n");
        assertThat(tail("", 0, -1, 3)).isEmpty();
    }

    @Test
    void longRangesAcrossReadBuffers() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            sb.append("line ").append(i).append('\n');
        }
        assertThat(tail(sb.toString(), 0, -1, 3)).isEqualTo("line 4997\nline 4998\nline 4999\n");
        assertThat(tail(sb.toString(), 0, -1, 4000).lines().count()).isEqualTo(4000);
    }
}
