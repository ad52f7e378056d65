package io.github.attentionsinks.langchain4j;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * What {@link ChatTemplate} gives templates beyond Jinjava's own: the functions {@code raise_exception} and
 * {@code strftime_now}, the Python string methods templates call on message contents, and a {@code tojson} filter
 * that writes JSON as Python's {@code json.dumps} does.
 */
final class TemplateFunctions {
    private TemplateFunctions() {}

    /** Registers {@code raise_exception}, {@code strftime_now} and {@code tojson} with a template's Jinjava. */
    static void register(Jinjava jinjava) {
        try {
            jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class,
                    "raiseException", String.class));
            jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class,
                    "strftimeNow", String.class));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot register chat template functions: " + e.getMessage(), e);
        }
        jinjava.registerFilter(new PythonJsonFilter());
    }

    /** {@code raise_exception(message)}: templates use it to refuse message lists they cannot show. */
    private static Object raiseException(String message) {
        throw new TemplateRaisedException(message);
    }

    /** {@code strftime_now(format)}: the current local date/time in a Python strftime format. */
    private static String strftimeNow(String format) {
        return Strftime.format(format, ZonedDateTime.now());
    }

    /** A template's own {@code raise_exception}. */
    static final class TemplateRaisedException extends RuntimeException {
        TemplateRaisedException(String message) {
            super(message);
        }
    }

    /** The few Python string methods chat templates call on message contents. */
    static final class PythonStringMethods extends ELResolver {
        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            if (!(base instanceof String s) || method == null) {
                return null;
            }
            Object[] args = params == null ? new Object[0] : params;
            Object result = apply(s, method.toString(), args);
            if (result != NO_SUCH_METHOD) {
                context.setPropertyResolved(true);
                return result;
            }
            return null;
        }

        private static final Object NO_SUCH_METHOD = new Object();

        static Object apply(String s, String name, Object[] args) {
            switch (name) {
                case "strip":
                    return args.length == 0 ? s.strip() : rstripChars(lstripChars(s, str(args[0])), str(args[0]));
                case "lstrip":
                    return args.length == 0 ? s.stripLeading() : lstripChars(s, str(args[0]));
                case "rstrip":
                    return args.length == 0 ? s.stripTrailing() : rstripChars(s, str(args[0]));
                case "startswith":
                    return anyOf(args, p -> s.startsWith(p));
                case "endswith":
                    return anyOf(args, p -> s.endsWith(p));
                case "upper":
                    return s.toUpperCase(Locale.ROOT);
                case "lower":
                    return s.toLowerCase(Locale.ROOT);
                case "title":
                    return title(s);
                case "capitalize":
                    return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT)
                            + s.substring(1).toLowerCase(Locale.ROOT);
                case "replace":
                    return args.length >= 2 ? s.replace(str(args[0]), str(args[1])) : NO_SUCH_METHOD;
                case "split":
                    return split(s, args.length == 0 || args[0] == null ? null : str(args[0]));
                case "find":
                    return args.length >= 1 ? (Object) (long) s.indexOf(str(args[0])) : NO_SUCH_METHOD;
                case "count":
                    return args.length >= 1 ? (Object) count(s, str(args[0])) : NO_SUCH_METHOD;
                default:
                    return NO_SUCH_METHOD;
            }
        }

        private interface StringTest {
            boolean test(String s);
        }

        private static boolean anyOf(Object[] args, StringTest test) {
            if (args.length == 0) {
                return false;
            }
            if (args[0] instanceof Collection<?> options) {
                for (Object o : options) {
                    if (test.test(str(o))) {
                        return true;
                    }
                }
                return false;
            }
            return test.test(str(args[0]));
        }

        private static String str(Object o) {
            return o == null ? "" : o.toString();
        }

        private static String lstripChars(String s, String chars) {
            int i = 0;
            while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            return s.substring(i);
        }

        private static String rstripChars(String s, String chars) {
            int i = s.length();
            while (i > 0 && chars.indexOf(s.charAt(i - 1)) >= 0) {
                i--;
            }
            return s.substring(0, i);
        }

        private static List<String> split(String s, String separator) {
            if (separator == null) {
                String t = s.strip();
                return t.isEmpty() ? new ArrayList<>() : new ArrayList<>(Arrays.asList(t.split("\\s+")));
            }
            List<String> parts = new ArrayList<>();
            int from = 0;
            for (int at = s.indexOf(separator); at >= 0 && !separator.isEmpty(); at = s.indexOf(separator, from)) {
                parts.add(s.substring(from, at));
                from = at + separator.length();
            }
            parts.add(s.substring(from));
            return parts;
        }

        private static long count(String s, String sub) {
            if (sub.isEmpty()) {
                return s.length() + 1L;
            }
            long n = 0;
            for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
                n++;
            }
            return n;
        }

        private static String title(String s) {
            StringBuilder out = new StringBuilder(s.length());
            boolean start = true;
            for (char c : s.toCharArray()) {
                out.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
                start = !Character.isLetter(c);
            }
            return out.toString();
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {}

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public Iterator<java.beans.FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }

    /** {@code tojson} as Python's {@code json.dumps(x, ensure_ascii=False)}, with an optional {@code indent}. */
    static final class PythonJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(var, args.length > 0 && args[0] != null ? parseIndent(args[0]) : -1);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            return PythonJson.dumps(var, indent == null ? -1 : parseIndent(indent.toString()));
        }

        private static int parseIndent(String s) {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    /** Minimal strftime for the directives chat templates use (dates in system prompts). */
    static final class Strftime {
        static String format(String pattern, ZonedDateTime t) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < pattern.length(); i++) {
                char c = pattern.charAt(i);
                if (c != '%' || i + 1 == pattern.length()) {
                    out.append(c);
                    continue;
                }
                char d = pattern.charAt(++i);
                switch (d) {
                    case 'Y' -> out.append(t.getYear());
                    case 'm' -> out.append(String.format("%02d", t.getMonthValue()));
                    case 'd' -> out.append(String.format("%02d", t.getDayOfMonth()));
                    case 'H' -> out.append(String.format("%02d", t.getHour()));
                    case 'M' -> out.append(String.format("%02d", t.getMinute()));
                    case 'S' -> out.append(String.format("%02d", t.getSecond()));
                    case 'b' -> out.append(DateTimeFormatter.ofPattern("MMM", Locale.ENGLISH).format(t));
                    case 'B' -> out.append(DateTimeFormatter.ofPattern("MMMM", Locale.ENGLISH).format(t));
                    case 'a' -> out.append(DateTimeFormatter.ofPattern("EEE", Locale.ENGLISH).format(t));
                    case 'A' -> out.append(DateTimeFormatter.ofPattern("EEEE", Locale.ENGLISH).format(t));
                    case '%' -> out.append('%');
                    default -> out.append('%').append(d);
                }
            }
            return out.toString();
        }
    }
}
