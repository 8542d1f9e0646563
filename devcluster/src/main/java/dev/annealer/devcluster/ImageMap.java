package dev.annealer.devcluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides which local command stands for a container image (there is no container runtime here).
 *
 * <ul>
 *   <li>an image whose name contains {@code annealer-trainer}: {@code java <javaOpts> -jar <trainerJar> <args>}
 *       or a given trainer command (the image's entrypoint {@code annealer-trainer}); a {@code command} other than
 *       {@code [annealer-trainer]} runs as given;</li>
 *   <li>a {@code pause} image: {@code sleep infinity} (placeholder pods, e.g. a high-priority GPU hog);</li>
 *   <li>any other image with a {@code command}: the command and args run as given on the host;</li>
 *   <li>otherwise: not runnable, with the reason.</li>
 * </ul>
 */
public final class ImageMap {

    /** What to run: argv, and whether it is the trainer (which gets the trainer working directory). */
    public record Launch(List<String> argv, boolean trainer) {
    }

    private final List<String> trainerPrefix;
    private final Map<String, String> trainerEnv;

    /** The trainer is {@code java <javaOpts> -jar <trainerJar>}; null jar = trainer pods cannot run. */
    public ImageMap(String java, List<String> javaOpts, Path trainerJar) {
        this(trainerJar == null ? null : jarCommand(java, javaOpts, trainerJar), Map.of());
    }

    /**
     * @param trainerCommand what stands for the image's {@code annealer-trainer} entrypoint (null = none)
     * @param trainerEnv     env set on trainer containers after the pod's own (e.g. a shared DJL_CACHE_DIR, which
     *                       a real image has baked in)
     */
    public ImageMap(List<String> trainerCommand, Map<String, String> trainerEnv) {
        this.trainerPrefix = trainerCommand == null ? null : List.copyOf(trainerCommand);
        this.trainerEnv = Map.copyOf(trainerEnv);
    }

    private static List<String> jarCommand(String java, List<String> javaOpts, Path jar) {
        List<String> argv = new ArrayList<>();
        argv.add(java);
        argv.addAll(javaOpts);
        argv.add("-jar");
        argv.add(jar.toString());
        return argv;
    }

    /** Env the agent sets on trainer containers after the pod's own env. */
    public Map<String, String> trainerEnv() {
        return trainerEnv;
    }

    /**
     * @return the launch, or empty with {@code why[0]} set to a message naming the image and the fix
     */
    public Optional<Launch> launch(String image, List<String> command, List<String> args, String[] why) {
        List<String> cmd = command == null ? List.of() : command;
        List<String> arg = args == null ? List.of() : args;
        String img = image == null ? "" : image;
        if (img.contains("annealer-trainer") && (cmd.isEmpty() || cmd.equals(List.of("annealer-trainer")))) {
            if (trainerPrefix == null) {
                why[0] = "image " + img + " maps to the trainer jar, but none was given: build trainer-image "
                        + "(mvn -pl trainer-image -am package) or pass --trainer-jar / --trainer-command";
                return Optional.empty();
            }
            List<String> argv = new ArrayList<>(trainerPrefix);
            argv.addAll(arg);
            return Optional.of(new Launch(argv, true));
        }
        if (!cmd.isEmpty()) {
            List<String> argv = new ArrayList<>(cmd);
            argv.addAll(arg);
            return Optional.of(new Launch(argv, false));
        }
        if (img.matches("(.*/)?pause(:.*)?")) {
            return Optional.of(new Launch(List.of("sleep", "infinity"), false));
        }
        why[0] = "image " + img + " has no local equivalent in the devcluster: give the container a command "
                + "(it runs on the host), or use the annealer-trainer or pause image";
        return Optional.empty();
    }
}
