package io.github.attentionsinks.examples.assistant;

import io.github.attentionsinks.CapacityExceededException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Maps refusals to status codes with a JSON body {@code {"error": "..."}} that says what to do. */
@RestControllerAdvice(assignableTypes = AssistantController.class)
public class ApiErrors {
    private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);
    private final AssistantProperties properties;
    private final String redisAddress;

    /** Reads Redis's address from Spring's own properties (Boot's RedisProperties class moved package in Boot 4). */
    public ApiErrors(AssistantProperties properties, Environment environment) {
        this.properties = properties;
        this.redisAddress = environment.containsProperty("spring.data.redis.url") ? "spring.data.redis.url"
                : environment.getProperty("spring.data.redis.host", "localhost") + ":"
                        + environment.getProperty("spring.data.redis.port", "6379");
    }

    @ExceptionHandler(ConversationNotFoundException.class)
    ResponseEntity<Map<String, String>> notFound(ConversationNotFoundException e) {
        return error(HttpStatus.NOT_FOUND, e.getMessage());
    }

    @ExceptionHandler(MessageTooLongException.class)
    ResponseEntity<Map<String, String>> tooLong(MessageTooLongException e) {
        return error(HttpStatus.PAYLOAD_TOO_LARGE, e.getMessage());
    }

    @ExceptionHandler(ConversationBusyException.class)
    ResponseEntity<Map<String, String>> busy(ConversationBusyException e) {
        return error(HttpStatus.CONFLICT, e.getMessage());
    }

    @ExceptionHandler({InvalidMessageException.class, HttpMessageNotReadableException.class})
    ResponseEntity<Map<String, String>> badRequest(Exception e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof MessageSizeFilter.BodyTooLargeException tooLarge) {
                return error(HttpStatus.PAYLOAD_TOO_LARGE, tooLarge.getMessage());
            }
        }
        String message = e instanceof HttpMessageNotReadableException
                ? "The body must be JSON {\"text\": \"...\"}" : e.getMessage();
        return error(HttpStatus.BAD_REQUEST, message);
    }

    /** The model queues {@code langchain4j.attention-sinks.max-queued-requests} requests and refuses the rest. */
    @ExceptionHandler(CapacityExceededException.class)
    ResponseEntity<Map<String, String>> overloaded(CapacityExceededException e) {
        return retryLater("The assistant is at capacity (" + e.getMessage() + "); try again in "
                + properties.retryAfter().toSeconds() + " s");
    }

    @ExceptionHandler(DataAccessException.class)
    ResponseEntity<Map<String, String>> storeUnavailable(DataAccessException e) {
        log.warn("Redis unavailable: {}", e.toString());
        return retryLater("Conversation storage (Redis at " + redisAddress + ") is unavailable; nothing was stored, "
                + "try again in " + properties.retryAfter().toSeconds() + " s (the server's Redis is set with "
                + "--spring.data.redis.host and --spring.data.redis.port)");
    }

    private ResponseEntity<Map<String, String>> retryLater(String message) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, properties.retryAfter().toSeconds())))
                .body(Map.of("error", message));
    }

    private static ResponseEntity<Map<String, String>> error(HttpStatus status, String message) {
        return ResponseEntity.status(status).body(Map.of("error", message));
    }
}
