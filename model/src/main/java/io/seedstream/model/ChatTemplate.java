package io.seedstream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tokenizer's chat template (Jinja, from {@code tokenizer_config.json}) rendered as transformers
 * renders it: trim_blocks and lstrip_blocks on, {@code tojson} as Python's {@code json.dumps}
 * (", " and ": " separators, non-ASCII kept), {@code raise_exception} failing the render with
 * the template's message, and the tokenizer's bos and eos tokens in scope.
 */
public final class ChatTemplate {

    /** One turn of a conversation. */
    public record Message(String role, String content) {}

    /** Rendering stops past this many characters: a prompt is never this long, a runaway template is. */
    private static final long MAX_OUTPUT = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    public ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        // Jinja2's own behaviour where Jinjava kept an older one: {{- -}} and {#- -#} trimming, operator
        // precedence, iterating a map over its keys, Python-like printing of lists and maps
        LegacyOverrides jinja2 = LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
                .withUseNaturalOperatorPrecedence(true).withIterateOverMapKeys(true).withUsePyishObjectMapper(true)
                .withKeepNullableLoopValues(true).build();
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withLegacyOverrides(jinja2).withMaxOutputSize(MAX_OUTPUT).build());
        jinjava.getGlobalContext().registerFilter(new PythonJsonFilter());
        try {
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    ChatTemplate.class.getDeclaredMethod("raiseException", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The template a model directory ships: {@code chat_template} of its tokenizer_config.json (a
     * string, or the one named "default" of a list), or a separate {@code chat_template.jinja};
     * null when it has none (a raw completion model).
     */
    public static ChatTemplate of(Path modelDir) throws IOException {
        Path config = modelDir.resolve("tokenizer_config.json");
        JsonNode c = Files.isRegularFile(config) ? JSON.readTree(config.toFile()) : JSON.createObjectNode();
        String source = null;
        JsonNode t = c.get("chat_template");
        if (t != null && t.isTextual()) {
            source = t.asText();
        } else if (t != null && t.isArray()) {
            for (JsonNode named : t) {
                if (named.path("name").asText().equals("default")) {
                    source = named.path("template").asText(null);
                }
            }
            if (source == null) {
                throw new IOException(config + ": chat_template is a list without a template named 'default'");
            }
        } else if (Files.isRegularFile(modelDir.resolve("chat_template.jinja"))) {
            source = Files.readString(modelDir.resolve("chat_template.jinja"));
        }
        return source == null ? null : new ChatTemplate(source, token(c.get("bos_token")), token(c.get("eos_token")));
    }

    /** A special token as tokenizer_config.json writes it: a string, or an object with its content. */
    private static String token(JsonNode n) {
        if (n == null || n.isNull()) {
            return "";
        }
        return n.isTextual() ? n.asText() : n.path("content").asText("");
    }

    /** The text a conversation becomes, ending with the assistant's header when {@code addGenerationPrompt}. */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> turns = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        Map<String, Object> scope = new LinkedHashMap<>();
        scope.put("messages", turns);
        scope.put("add_generation_prompt", addGenerationPrompt);
        scope.put("bos_token", bosToken);
        scope.put("eos_token", eosToken);
        RenderResult r = jinjava.renderForResult(source, scope);
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                Throwable cause = e.getException();
                while (cause != null && !(cause instanceof TemplateRaised)) {
                    cause = cause.getCause();
                }
                throw new IllegalArgumentException("the chat template failed: "
                        + (cause != null ? cause.getMessage() : e.getMessage()));
            }
        }
        return r.getOutput();
    }

    /**
     * A problem as a one-turn conversation: the system prompt (when given), the problem followed by
     * the instruction suffix (when given) as the user's turn, and the assistant's header.
     */
    public String prompt(String problem, String system, String suffix) {
        List<Message> messages = new ArrayList<>();
        if (system != null && !system.isEmpty()) {
            messages.add(new Message("system", system));
        }
        messages.add(new Message("user", suffix == null || suffix.isEmpty() ? problem : problem + "\n" + suffix));
        return render(messages, true);
    }

    /** transformers' raise_exception: the template refuses the conversation with its own message. */
    public static String raiseException(String message) {
        throw new TemplateRaised(message);
    }

    private static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message);
        }
    }

    /** tojson as transformers defines it for chat templates: Python's json.dumps with ensure_ascii off. */
    private static final class PythonJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            StringBuilder b = new StringBuilder();
            dump(var, b);
            return b.toString();
        }

        private static void dump(Object x, StringBuilder b) {
            if (x == null) {
                b.append("null");
            } else if (x instanceof Boolean bool) {
                b.append(bool ? "true" : "false");
            } else if (x instanceof Double || x instanceof Float) {
                double d = ((Number) x).doubleValue();
                b.append(d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16 ? String.format(
                        java.util.Locale.ROOT, "%.1f", d) : Double.toString(d));
            } else if (x instanceof Number n) {
                b.append(n);
            } else if (x instanceof Map<?, ?> map) {
                b.append('{');
                String sep = "";
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    b.append(sep);
                    string(String.valueOf(e.getKey()), b);
                    b.append(": ");
                    dump(e.getValue(), b);
                    sep = ", ";
                }
                b.append('}');
            } else if (x instanceof Iterable<?> list) {
                b.append('[');
                String sep = "";
                for (Object o : list) {
                    b.append(sep);
                    dump(o, b);
                    sep = ", ";
                }
                b.append(']');
            } else {
                string(x.toString(), b);
            }
        }

        private static void string(String s, StringBuilder b) {
            b.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    case '\b' -> b.append("\\b");
                    case '\f' -> b.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            b.append('"');
        }
    }
}
