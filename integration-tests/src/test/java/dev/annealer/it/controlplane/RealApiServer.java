package dev.annealer.it.controlplane;

import dev.annealer.devcluster.ControlPlane;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated test class against a real etcd + kube-apiserver (RBAC on), shared by all classes of the test
 * JVM. Test methods and constructors can take a {@link ControlPlane} parameter.
 *
 * <p>Without binaries the class is skipped with a message saying how to build them, unless {@code CI=true}: then it
 * fails, so CI never goes green without having run these tests.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(ControlPlaneExtension.class)
public @interface RealApiServer {
}
