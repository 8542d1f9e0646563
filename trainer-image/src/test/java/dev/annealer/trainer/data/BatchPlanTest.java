package dev.annealer.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annealer.trainer.StepRunner.Batch;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchPlanTest {
  static Dataset rows(int n) {
    float[] x = new float[n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = i;
      y[i] = i;
    }
    return new Dataset("mem", new String[] {"x"}, new float[][] {x}, y, n, 0);
  }

  @Test
  void permutationDependsOnlyOnSeedAndEpoch() {
    assertThat(BatchPlan.permutation(100, 7, 3, true)).containsExactly(BatchPlan.permutation(100, 7, 3, true));
    assertThat(BatchPlan.permutation(100, 7, 3, true)).isNotEqualTo(BatchPlan.permutation(100, 7, 4, true));
    assertThat(BatchPlan.permutation(100, 8, 3, true)).isNotEqualTo(BatchPlan.permutation(100, 7, 3, true));
    // a plan that jumped straight to a late step reads what a plan that walked there reads
    BatchPlan walked = new BatchPlan(rows(103), 10, 2, 5, true);
    for (int s = 0; s < 40; s++) {
      walked.batches(s);
    }
    BatchPlan jumped = new BatchPlan(rows(103), 10, 2, 5, true);
    assertThat(jumped.batches(40).get(1).labels()).containsExactly(walked.batches(40).get(1).labels());
  }

  @Test
  void everyRecordOncePerEpochWithCeilSteps() {
    BatchPlan plan = new BatchPlan(rows(103), 10, 2, 5, true);
    assertThat(plan.stepsPerEpoch()).isEqualTo(6); // ceil(103 / 20)
    Set<Float> seen = new HashSet<>();
    int count = 0;
    for (long s = 6; s < 12; s++) {
      for (Batch b : plan.batches(s)) {
        for (float y : b.labels()) {
          seen.add(y);
          count++;
        }
      }
    }
    assertThat(count).isEqualTo(103);
    assertThat(seen).hasSize(103);
    List<Batch> last = plan.batches(11);
    assertThat(last).hasSize(1);
    assertThat(last.get(0).size()).isEqualTo(3);
    assertThat(plan.epochOf(11)).isEqualTo(1);
    assertThat(plan.offsetOf(11)).isEqualTo(100);
  }

  @Test
  void noShuffleKeepsFileOrder() {
    BatchPlan plan = new BatchPlan(rows(64), 16, 1, 0, false);
    assertThat(plan.batches(5).get(0).labels()[0]).isEqualTo(16f);
  }
}
