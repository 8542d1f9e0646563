package dev.annealer.trainer.trainee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annealer.trainer.TrainerFailure;
import dev.annealer.trainer.data.TextRecord;
import dev.annealer.trainer.hf.data.TokenizedRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A causal-LM batch whose prompts fill spec.data.maxLength has no loss token: refused, not trained into a NaN. */
class LossTokensTest {

  private static final TextRecord LONG_PROMPT = new TextRecord(null, "my tablet cannot reach the internet", " restart", 0);

  @Test
  void aBatchWithoutAnyCompletionTokenIsABadRecordNamingMaxLength() {
    // the cut left prompt tokens only: every label is -100
    TokenizedRecord cut = new TokenizedRecord(new long[] {1, 2, 3, 4}, new long[] {-100, -100, -100, -100}, null);
    assertThatThrownBy(() -> StandardHfBackend.requireLossTokens(List.of(cut, cut), List.of(LONG_PROMPT, LONG_PROMPT), 4))
        .isInstanceOfSatisfying(TrainerFailure.class, f -> assertThat(f.reason()).isEqualTo(TrainerFailure.Reason.BadRecord))
        .hasMessageContaining("spec.data.maxLength=4").hasMessageContaining("my tablet cannot reach")
        .hasMessageContaining("raise spec.data.maxLength");
  }

  @Test
  void oneCompletionTokenAnywhereInTheBatchIsEnough() {
    TokenizedRecord cut = new TokenizedRecord(new long[] {1, 2, 3, 4}, new long[] {-100, -100, -100, -100}, null);
    TokenizedRecord kept = new TokenizedRecord(new long[] {1, 2, 9}, new long[] {-100, -100, 9}, null);
    StandardHfBackend.requireLossTokens(List.of(cut, kept), List.of(LONG_PROMPT, LONG_PROMPT), 4);
  }

  @Test
  void theFirstPositionIsNeverPredictedSoItDoesNotCount() {
    TokenizedRecord onlyFirst = new TokenizedRecord(new long[] {7, 2}, new long[] {7, -100}, null);
    assertThatThrownBy(() -> StandardHfBackend.requireLossTokens(List.of(onlyFirst), List.of(LONG_PROMPT), 2))
        .isInstanceOf(TrainerFailure.class);
  }
}
