package io.restpipe;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shape of restpipe-core (docs/architecture.md): what an embedder sees exposes no internal, Netty or protobuf
 * type, and each internal package depends only on the layers below it.
 */
class ArchitectureTest {
    private static final String[] FOREIGN_TO_THE_API = {"io.restpipe.internal", "io.netty", "com.google.protobuf"};
    private static JavaClasses core;

    @BeforeAll
    static void importCore() {
        core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.restpipe");
    }

    @Test
    void publicApiExposesNoInternalNettyOrProtobufType() {
        ArchRule rule = classes().that().resideInAnyPackage("io.restpipe", "io.restpipe.handler").and().arePublic()
                .should(exposeOnlyApiTypes());
        rule.check(core);
    }

    @Test
    void apiAndHandlersKnowNothingOfNetty() {
        noClasses().that().resideInAnyPackage("io.restpipe.handler")
                .should().dependOnClassesThat().resideInAnyPackage("io.netty..", "com.google.protobuf..")
                .check(core);
    }

    @Test
    void wireKnowsNothingOfSessionsOrHttp() {
        noClasses().that().resideInAPackage("io.restpipe.internal.wire..")
                .should().dependOnClassesThat().resideInAnyPackage("io.restpipe.internal.link..",
                        "io.restpipe.internal.call..", "io.restpipe.internal.gateway..", "io.restpipe.internal.forward..",
                        "io.restpipe.internal.directory..", "io.restpipe.internal.dispatch..", "io.netty.handler.codec.http..")
                .check(core);
    }

    @Test
    void tlsKnowsNothingOfPipes() {
        noClasses().that().resideInAPackage("io.restpipe.internal.tls..")
                .should().dependOnClassesThat().resideInAnyPackage("io.restpipe.internal.link..",
                        "io.restpipe.internal.call..", "io.restpipe.internal.wire..", "io.restpipe.internal.gateway..",
                        "io.restpipe.internal.forward..", "io.restpipe.internal.directory..")
                .check(core);
    }

    @Test
    void gatewayAndForwardKnowNothingOfWireFramesOrLinks() {
        noClasses().that().resideInAnyPackage("io.restpipe.internal.gateway..", "io.restpipe.internal.forward..")
                .should().dependOnClassesThat().resideInAnyPackage("io.restpipe.internal.wire..",
                        "io.restpipe.internal.link..")
                .check(core);
    }

    @Test
    void directoryKnowsNothingOfHttpOrSockets() {
        noClasses().that().resideInAPackage("io.restpipe.internal.directory..")
                .should().dependOnClassesThat().resideInAnyPackage("io.restpipe.internal.gateway..",
                        "io.restpipe.internal.link..", "io.netty.handler.codec.http..", "io.netty.channel..")
                .check(core);
    }

    @Test
    void callStateKnowsNothingOfSocketsOrLinks() {
        noClasses().that().resideInAPackage("io.restpipe.internal.call..")
                .should().dependOnClassesThat().resideInAnyPackage("io.restpipe.internal.link..",
                        "io.restpipe.internal.gateway..", "io.restpipe.internal.forward..", "io.netty.channel..",
                        "io.netty.handler..")
                .check(core);
    }

    @Test
    void linkKnowsNothingOfCalls() {
        noClasses().that().resideInAPackage("io.restpipe.internal.link..")
                .should().dependOnClassesThat().resideInAnyPackage("io.restpipe.internal.call..",
                        "io.restpipe.internal.gateway..", "io.restpipe.internal.forward..",
                        "io.restpipe.internal.dispatch..")
                .check(core);
    }

    @Test
    void theLibraryHasNoLoggingBackendAndNoCommandLine() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("ch.qos.logback..", "picocli..",
                        "io.micrometer.prometheusmetrics..", "io.micrometer.statsd..")
                .check(core);
    }

    /**
     * Public and protected members, supertypes and type parameters of a class, type arguments included, name no type
     * from the packages foreign to the API.
     */
    private static ArchCondition<JavaClass> exposeOnlyApiTypes() {
        return new ArchCondition<>("expose no internal, Netty or protobuf type in a public signature") {
            @Override
            public void check(JavaClass type, ConditionEvents events) {
                List<String> exposed = new ArrayList<>();
                type.getSuperclass().ifPresent(s -> collectAll(type.getName() + " extends", s, exposed));
                type.getInterfaces().forEach(i -> collectAll(type.getName() + " implements", i, exposed));
                type.getTypeParameters().forEach(p -> p.getUpperBounds()
                        .forEach(bound -> collectAll(type.getName() + "<" + p.getName() + ">", bound, exposed)));
                for (JavaMember member : type.getMembers()) {
                    if (!isVisible(member.getModifiers())) {
                        continue;
                    }
                    if (member instanceof JavaField field) {
                        collectAll(field.getFullName(), field.getType(), exposed);
                    } else if (member instanceof JavaCodeUnit code) {
                        collectAll(code.getFullName(), code.getReturnType(), exposed);
                        code.getTypeParameters().forEach(p -> p.getUpperBounds()
                                .forEach(bound -> collectAll(code.getFullName(), bound, exposed)));
                        code.getParameterTypes().forEach(p -> collectAll(code.getFullName(), p, exposed));
                        code.getThrowsClause().getTypes().forEach(t -> collect(code.getFullName(), t, exposed));
                    }
                }
                exposed.forEach(e -> events.add(SimpleConditionEvent.violated(type, e)));
            }
        };
    }

    private static boolean isVisible(Set<JavaModifier> modifiers) {
        return modifiers.contains(JavaModifier.PUBLIC) || modifiers.contains(JavaModifier.PROTECTED);
    }

    private static void collectAll(String where, JavaType type, List<String> exposed) {
        type.getAllInvolvedRawTypes().forEach(raw -> collect(where, raw, exposed));
    }

    private static void collect(String where, JavaClass raw, List<String> exposed) {
        for (String foreign : FOREIGN_TO_THE_API) {
            if (raw.getName().startsWith(foreign + ".")) {
                exposed.add(where + " exposes " + raw.getName());
            }
        }
    }
}
