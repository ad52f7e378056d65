package io.github.attentionsinks.examples.assistant;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses a message body far over {@code assistant.max-message-chars} (413) from its declared length, before it is
 * read: the exact character count is checked after parsing, but a client must not make the server buffer megabytes.
 */
@Component
public class MessageSizeFilter extends OncePerRequestFilter {
    private final long maxBytes;
    private final int maxChars;

    public MessageSizeFilter(AssistantProperties properties) {
        this.maxChars = properties.maxMessageChars();
        this.maxBytes = 6L * properties.maxMessageChars() + 1024; // JSON escapes (\\uXXXX) and the envelope
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod()) || !request.getRequestURI().startsWith("/api/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getContentLengthLong() > maxBytes) {
            response.setStatus(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);
            response.setContentType("application/json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            response.getWriter().write("{\"error\": \"Request body of " + request.getContentLengthLong()
                    + " bytes is too large: a message may have at most " + maxChars
                    + " characters (assistant.max-message-chars)\"}");
            return;
        }
        chain.doFilter(request, response);
    }
}
