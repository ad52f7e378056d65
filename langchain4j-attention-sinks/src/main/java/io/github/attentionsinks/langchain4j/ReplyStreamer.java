package io.github.attentionsinks.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import io.github.attentionsinks.generate.TokenListener;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * Streams reply pieces to the caller and turns cancellation into a stop; a handler failure goes to the handler's
 * onError and the reply goes on (LangChain4j's contract), so the session stays as consistent as after any turn.
 * When tools are offered, text that may be a tool call is held back (see {@link ToolCallParser#visible}) and, at
 * the end, either reported as tool calls or streamed as text. Reasoning never goes to onPartial: it is streamed
 * to onThinking when the builder's returnThinking is on, dropped otherwise.
 */
final class ReplyStreamer implements TokenListener {
    private final ChatSessionEngine.TurnCallbacks callbacks;
    private final ChatTurnHandle handle;
    private final ToolCallParser.Dialect dialect;
    private final boolean holdToolCalls;
    private final boolean returnThinking;
    private final Map<Integer, String> specialMarkers;
    /** The reply as Hugging Face decodes it (applied to the first piece: the leading space some tokenizers drop). */
    private final UnaryOperator<String> firstPiece;
    private final BooleanSupplier closed;
    /** Whether the reply's text needs the parser's view (tools, reasoning or wrapper markers). */
    private final boolean shaped;
    private boolean started;
    /** The reply so far (only kept when shaped) and how much of its reasoning and content was streamed. */
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder sentThinking = new StringBuilder();
    private final StringBuilder sentContent = new StringBuilder();

    ReplyStreamer(ChatSessionEngine.TurnCallbacks callbacks, ChatTurnHandle handle, ToolCallParser.Dialect dialect,
            boolean holdToolCalls, boolean returnThinking, Map<Integer, String> specialMarkers,
            UnaryOperator<String> firstPiece, BooleanSupplier closed) {
        this.callbacks = callbacks;
        this.handle = handle;
        this.dialect = dialect;
        this.holdToolCalls = holdToolCalls;
        this.returnThinking = returnThinking;
        this.specialMarkers = specialMarkers;
        this.firstPiece = firstPiece;
        this.closed = closed;
        this.shaped = holdToolCalls || dialect.shapesText();
    }

    /** Whether the reply was kept whole here ({@link #text()}), with markers decoding drops put back. */
    boolean shaped() {
        return shaped;
    }

    /** The reply so far as the parser must read it (only kept when {@link #shaped()}). */
    String text() {
        return text.toString();
    }

    @Override
    public void onToken(int tokenId, String piece) {
        if (piece.isEmpty() && shaped) {
            piece = specialMarkers.getOrDefault(tokenId, "");
        }
        if (handle.isCancelled() || piece.isEmpty()) {
            return;
        }
        if (!started) {
            started = true; // one leading space is dropped from the reply, so from its first piece only
            piece = firstPiece.apply(piece);
            if (piece.isEmpty()) {
                return;
            }
        }
        if (!shaped) {
            deliver(piece);
            return;
        }
        text.append(piece);
        ToolCallParser.Visible v = ToolCallParser.visible(text.toString(), dialect, holdToolCalls);
        send(v.thinking(), v.content());
    }

    /** Streams what {@code thinking} and {@code content} add to what was streamed. */
    private void send(String thinking, String content) {
        if (returnThinking && thinking != null && thinking.length() > sentThinking.length()
                && thinking.startsWith(sentThinking.toString())) {
            String out = thinking.substring(sentThinking.length());
            sentThinking.append(out);
            try {
                callbacks.onThinking(out, handle);
            } catch (Exception e) {
                ChatSessionEngine.safeError(callbacks, e);
            }
        }
        if (content != null && content.length() > sentContent.length()
                && content.startsWith(sentContent.toString())) {
            String out = content.substring(sentContent.length());
            sentContent.append(out);
            deliver(out);
        }
    }

    /** End of a completed reply: stream what was held back, then report its tool calls. */
    void finish(ToolCallParser.Reply reply) {
        if (!shaped || handle.isCancelled()) {
            return;
        }
        send(reply.thinking(), reply.calls().isEmpty() ? reply.content() : null);
        List<ToolExecutionRequest> calls = reply.calls();
        for (int i = 0; i < calls.size(); i++) {
            try {
                callbacks.onToolCall(new CompleteToolCall(i, calls.get(i)));
            } catch (Exception e) {
                ChatSessionEngine.safeError(callbacks, e);
            }
        }
    }

    private void deliver(String piece) {
        try {
            callbacks.onPartial(piece, handle);
        } catch (Exception e) {
            ChatSessionEngine.safeError(callbacks, e);
        }
    }

    @Override
    public boolean isCancelled() {
        return handle.isCancelled() || closed.getAsBoolean();
    }
}
