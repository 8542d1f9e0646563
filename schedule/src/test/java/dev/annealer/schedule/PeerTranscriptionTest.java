package dev.annealer.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Beyond the shared vectors: 92 random configurations of the eight peers (fractional-epoch stepping, T_mult up to 10,
 * timm cycle_mul 1.25..10 with k_decay and both warmup placements, transformers num_cycles 0.3..2.25 past
 * num_training_steps, eta_min above lr, optax lists) against independent Python transcriptions of the peers'
 * formulas ({@code transcriptions/gen_transcriptions.py}). Not the libraries themselves, so this guards the importer
 * against regressions on cases outside shared/, with the same error measure as {@link ConformanceTest}.
 */
class PeerTranscriptionTest {

    @Test
    @SuppressWarnings("unchecked")
    void everyTranscribedCaseMatches() throws Exception {
        Map<String, Object> root;
        try (InputStream in = getClass().getResourceAsStream("/transcriptions/peer-transcriptions.json")) {
            root = new ObjectMapper().readValue(in, Map.class);
        }
        List<Map<String, Object>> cases = (List<Map<String, Object>>) root.get("cases");
        assertThat(cases).hasSizeGreaterThan(90);
        Map<String, Double> worst = new TreeMap<>();
        for (Map<String, Object> c : cases) {
            String name = (String) c.get("name");
            Integer k = (Integer) c.get("K");
            Schedule s = Schedule.of(PeerImporter.fromPeer(name, (Map<String, Object>) c.get("args"), k));
            List<Number> lr = (List<Number>) c.get("lr");
            for (int n = 0; n < lr.size(); n++) {
                double ref = lr.get(n).doubleValue();
                double e = ConformanceTest.error(s.lr(n), ref);
                assertThat(e).as("%s %s K=%s step %d: ours %s vs %s", name, c.get("args"), k, n, s.lr(n), ref)
                        .isLessThanOrEqualTo(ConformanceTest.TOLERANCE);
                worst.merge(name, e, Math::max);
            }
        }
        worst.forEach((name, e) -> System.out.printf("[transcriptions] %-66s max rel error %.3e%n", name, e));
        assertThat(worst).hasSize(PeerImporter.NAMES.size());
    }
}
