package dev.annealer.trainer;

import ai.djl.engine.Engine;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code engine-info}: loads the PyTorch engine (unpacking libtorch into {@code DJL_CACHE_DIR} on first use) and
 * prints its version and GPU count. The image build runs it so the native libraries are baked in.
 */
@Command(name = "engine-info", mixinStandardHelpOptions = true,
    description = "Load the PyTorch engine offline and print its version and visible GPUs")
public class EngineInfoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    Engine engine = Engine.getEngine("PyTorch");
    System.out.println("engine=" + engine.getEngineName() + " version=" + engine.getVersion() + " gpus=" + engine.getGpuCount()
        + " djlCacheDir=" + System.getenv().getOrDefault("DJL_CACHE_DIR", "(default)"));
    return 0;
  }
}
