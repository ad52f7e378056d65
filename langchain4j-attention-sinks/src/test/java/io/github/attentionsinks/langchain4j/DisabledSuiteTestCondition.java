package io.github.attentionsinks.langchain4j;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

/** Applies the {@link DisabledSuiteTest} annotations of the test class. */
final class DisabledSuiteTestCondition implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        List<DisabledSuiteTest> disabled = AnnotationSupport.findRepeatableAnnotations(testClass,
                DisabledSuiteTest.class);
        Optional<Method> method = context.getTestMethod();
        if (method.isEmpty()) {
            // Class level: a misspelt name would silently disable nothing, so refuse it.
            for (DisabledSuiteTest d : disabled) {
                if (ReflectionSupport.findMethods(testClass, m -> m.getName().equals(d.method()),
                        HierarchyTraversalMode.TOP_DOWN).isEmpty()) {
                    throw new IllegalStateException("@DisabledSuiteTest(method = \"" + d.method() + "\") on "
                            + testClass.getName() + " names no method of the suite: fix the name");
                }
            }
            return ConditionEvaluationResult.enabled("test methods are checked one by one");
        }
        for (DisabledSuiteTest d : disabled) {
            if (d.method().equals(method.get().getName())) {
                return ConditionEvaluationResult.disabled(d.reason());
            }
        }
        return ConditionEvaluationResult.enabled("not excluded from the suite");
    }
}
