package dev.annealer.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParamsDigestTest {
  @Test
  void digestIsAFixedFunctionOfNamesAndFloatBits() {
    Map<String, float[]> a = new LinkedHashMap<>();
    a.put("b", new float[] {1f, -0f});
    a.put("a", new float[] {0.5f});
    Map<String, float[]> reordered = new LinkedHashMap<>();
    reordered.put("a", new float[] {0.5f});
    reordered.put("b", new float[] {1f, -0f});
    assertThat(ParamsDigest.sha256(a)).isEqualTo(ParamsDigest.sha256(reordered));
    // pinned: the documented byte layout (sorted names, name 0x00 int32LE(count) float32LE...) never changes silently
    // (expected value computed independently with Python's hashlib + struct)
    assertThat(ParamsDigest.sha256(a)).isEqualTo("da5e9c1c9848078148e51ec47e87054225181a27b7f3e4d0dec97388d326c2cc");
    Map<String, float[]> signFlip = new LinkedHashMap<>(a);
    signFlip.put("b", new float[] {1f, 0f});
    assertThat(ParamsDigest.sha256(signFlip)).isNotEqualTo(ParamsDigest.sha256(a));
  }
}
