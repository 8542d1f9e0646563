package dev.annealer.devcluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps container paths to the pod's local root: a pod process runs on the host, so {@code /etc/annealer/job/job.yaml}
 * in its args must become {@code <podRoot>/rootfs/etc/annealer/job/job.yaml}, where the agent links the volume.
 *
 * <p>Rule: an occurrence of a mapped container path {@code P} is rewritten when it starts the string or follows
 * {@code =}, {@code :}, {@code ,}, white space or a quote, and is followed by {@code /}, the end, one of those
 * separators or {@code ;}. So {@code --checkpoint-dir=/var/lib/annealer/checkpoints} and a path inside an
 * {@code sh -c} script are rewritten, {@code /var/lib/annealerx} is not. Longer paths win over their prefixes.
 */
public final class PathRewriter {

    private final Map<String, String> local;
    private final Pattern pattern;

    /** @param containerToLocal container path (absolute) -> local path */
    public PathRewriter(Map<String, String> containerToLocal) {
        this.local = new java.util.HashMap<>();
        containerToLocal.forEach((k, v) -> local.put(stripSlash(k), stripSlash(v)));
        List<String> keys = new ArrayList<>(local.keySet());
        keys.sort(Comparator.comparingInt(String::length).reversed()); // why: regex alternation takes the first match
        this.pattern = keys.isEmpty() ? null : Pattern.compile("(^|[=:,\\s'\"])("
                + String.join("|", keys.stream().map(Pattern::quote).toList()) + ")(?=/|$|[:,\\s'\";])");
    }

    /** Rewrites every mapped container path in {@code value} in one pass; null stays null. */
    public String rewrite(String value) {
        if (value == null || pattern == null) {
            return value;
        }
        Matcher m = pattern.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + local.get(m.group(2))));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    public List<String> rewriteAll(List<String> values) {
        return values.stream().map(this::rewrite).toList();
    }

    private static String stripSlash(String p) {
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
