package io.seedstream.producers.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Calls through the box: the calculator, an HTTP tool on a real server on 127.0.0.1, refusals and time bounds. */
class ToolBoxTest {

    private HttpServer server;
    private final List<String> received = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/upper", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(exchange.getRequestMethod() + " " + body);
            byte[] reply = body.toUpperCase().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.createContext("/big", exchange -> {
            byte[] reply = "x".repeat(10_000).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.createContext("/fail", exchange -> {
            byte[] reply = "no such city".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(404, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.createContext("/slow", exchange -> {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void anHttpToolOnTheListIsCalledAndOneNotOnItIsRefused() {
        try (ToolBox box = new ToolBox(List.of(new Calculator(), new HttpTool("upper", url("/upper"), 4096),
                new HttpTool("big", url("/big"), 4096), new HttpTool("fail", url("/fail"), 4096)),
                Duration.ofSeconds(2))) {
            ToolBox.Outcome up = box.call("upper", "{\"q\": \"paris\"}");
            assertThat(up.reply().status()).isEqualTo(ToolReply.Status.OK);
            assertThat(up.reply().text()).contains("PARIS").contains("\"TOOL\":\"UPPER\"");
            assertThat(received).singleElement().satisfies(r -> assertThat(r).startsWith("POST ")
                    .contains("\"arguments\":\"{\\\"q\\\": \\\"paris\\\"}\""));

            assertThat(box.call("calculator", "21-5").reply().text()).isEqualTo("16");
            assertThat(box.call("big", "x").reply()).isEqualTo(ToolReply.error("reply longer than 4096 bytes"));
            assertThat(box.call("fail", "x").reply()).isEqualTo(ToolReply.error("HTTP 404: no such city"));

            // a tool nobody configured, even one the server would answer, is not called
            ToolBox.Outcome refused = box.call("weather", "{}");
            assertThat(refused.reply().status()).isEqualTo(ToolReply.Status.REFUSED);
            assertThat(refused.reply().text()).isEqualTo("error: no tool named weather; tools: calculator, upper, big, "
                    + "fail");
            assertThat(received).hasSize(1);
        }
    }

    @Test
    void aCalculatorGivenAUrlIsThatServerAndTheBuiltInOneIsNotUsed() {
        ToolSettings settings = new ToolSettings(List.of("calculator"), CallFormat.CALC, 2, Duration.ofSeconds(2),
                ToolSettings.http(List.of("calculator=" + url("/upper"))), 4096);
        try (ToolBox box = settings.box()) {
            // the built-in calculator would answer 16; the server echoes the call in capitals
            assertThat(box.call("calculator", "21-5").reply().text()).contains("\"ARGUMENTS\":\"21-5\"");
            assertThat(received).singleElement().satisfies(r -> assertThat(r).contains("\"tool\":\"calculator\""));
        }
        try (ToolBox box = ToolSettings.NONE.withEnabled(List.of("calculator")).box()) {
            assertThat(box.call("calculator", "21-5").reply().text()).isEqualTo("16");
        }
    }

    @Test
    void aSlowToolCostsItsCallATimeoutTextWithinTheBound() {
        Tool hangs = new Tool() {
            @Override
            public String name() {
                return "hangs";
            }

            @Override
            public ToolReply call(String arguments, Duration timeout) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return ToolReply.ok("too late");
            }
        };
        Tool throwing = new Tool() {
            @Override
            public String name() {
                return "throws";
            }

            @Override
            public ToolReply call(String arguments, Duration timeout) {
                throw new IllegalStateException("broken");
            }
        };
        try (ToolBox box = new ToolBox(List.of(hangs, throwing, new HttpTool("slow", url("/slow"), 4096)),
                Duration.ofMillis(300))) {
            for (String tool : List.of("hangs", "slow")) {
                long start = System.nanoTime();
                ToolBox.Outcome o = box.call(tool, "x");
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                assertThat(o.reply()).as(tool).isEqualTo(new ToolReply("error: no reply within 300 ms",
                        ToolReply.Status.TIMEOUT));
                assertThat(tookMs).as("%s answered within the bound (with slack for a loaded machine)", tool)
                        .isLessThan(3_000);
            }
            assertThat(box.call("throws", "x").reply().text()).isEqualTo("error: the tool failed: "
                    + "java.lang.IllegalStateException: broken");
        }
    }
}
