package dev.annealer.trainer.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Serializable optimizer state: float32 buffers and integer counters, both keyed by
 * {@code <parameter name>/<slot>} (for example {@code 0.weight/exp_avg}, {@code 0.weight/step}).
 * Keys are stable parameter names, never per-process ids, so a state written by one process resumes in another.
 *
 * @param type optimizer type that wrote it ({@code AdamW} or {@code SGD}); a resume with another type is refused
 * @param buffers float32 buffers (moments, momentum buffers), sorted by key
 * @param counters integer counters (step counts), sorted by key
 */
public record OptimizerState(String type, Map<String, float[]> buffers, Map<String, Long> counters) {
  public OptimizerState {
    buffers = new TreeMap<>(buffers);
    counters = new TreeMap<>(counters);
  }

  /** Deep copy, so a checkpoint writer can serialize it while training continues. */
  public OptimizerState copy() {
    Map<String, float[]> b = new LinkedHashMap<>();
    buffers.forEach((k, v) -> b.put(k, v.clone()));
    return new OptimizerState(type, b, counters);
  }
}
