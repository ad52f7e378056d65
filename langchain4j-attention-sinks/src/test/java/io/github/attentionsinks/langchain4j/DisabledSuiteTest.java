package io.github.attentionsinks.langchain4j;

import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Disables one test inherited from a LangChain4j conformance suite, with the reason, on the subclass that runs the
 * suite. Needed because some suite tests are package-private (they cannot be overridden with {@code @Disabled}); used
 * for all of them so that every exclusion is listed in one place. Takes effect through
 * {@link DisabledSuiteTestCondition}, which also fails a class that names a test the suite does not have. Public
 * because JUnit reads repeated annotations through a proxy in another module.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Repeatable(DisabledSuiteTest.List.class)
public @interface DisabledSuiteTest {
    /** The suite's test method name. */
    String method();

    /** Why this model cannot pass it; shown as the skip reason. */
    String reason();

    /** Container of the repeated annotation. */
    @Target(ElementType.TYPE)
    @Retention(RetentionPolicy.RUNTIME)
    public @interface List {
        DisabledSuiteTest[] value();
    }
}
