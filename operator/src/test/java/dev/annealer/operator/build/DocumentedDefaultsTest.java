package dev.annealer.operator.build;

import dev.annealer.api.v1alpha1.Defaults;
import dev.annealer.api.v1alpha1.FineTuneJobSpec;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The prose docs state the defaults the code and CRD apply (the generated reference cannot disagree; prose can). */
class DocumentedDefaultsTest {

    @Test
    void operatorDocsNameTheReclaimPolicyDefaultOfTheCrd() throws IOException {
        String doc = Files.readString(GeneratedFiles.ROOT.resolve("docs/operator.md"));
        Matcher m = Pattern.compile("`(Retain|Delete)` \\(default\\)").matcher(doc);
        assertThat(m.find()).as("docs/operator.md names the reclaimPolicy default as `X` (default)").isTrue();
        assertThat(m.group(1)).isEqualToIgnoringCase(Defaults.reclaimPolicy(new FineTuneJobSpec()).name());
        assertThat(m.find()).as("only one reclaimPolicy default in docs/operator.md").isFalse();
    }
}
