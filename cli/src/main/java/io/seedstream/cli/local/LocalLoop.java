package io.seedstream.cli.local;

import ai.djl.Device;
import io.micrometer.core.instrument.MeterRegistry;
import io.seedstream.infra.broker.BrokerSecurity;
import io.seedstream.producers.dispatch.Dispatcher;
import io.seedstream.producers.dispatch.DispatcherConfig;
import io.seedstream.producers.generator.GeneratorConfig;
import io.seedstream.producers.generator.RolloutGenerator;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.serde.AvroSerdes;
import io.seedstream.trainer.StreamingTrainer;
import io.seedstream.trainer.TrainerConfig;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stages of a run that {@code up} hosts next to the topology: the trainer, N generators and
 * the dispatcher, each on its own thread with its own Kafka clients and talking to the others only
 * through topics, exactly as the separate {@code train}, {@code generate} and {@code dispatch}
 * processes would.
 */
public final class LocalLoop implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalLoop.class);

    /** One stage on its thread. */
    private record Stage(String name, Runnable stop, Future<?> running) {}

    private final StreamingTrainer trainer;
    private final List<RolloutGenerator> generators;
    private final Dispatcher dispatcher;
    private final ExecutorService threads;
    private final List<Stage> stages = new ArrayList<>();

    private LocalLoop(StreamingTrainer trainer, List<RolloutGenerator> generators, Dispatcher dispatcher) {
        this.trainer = trainer;
        this.generators = generators;
        this.dispatcher = dispatcher;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> new Thread(r, "seedstream-up-stage-" + n.getAndIncrement()));
    }

    /**
     * @param p every stage's keys (trainer.*, generator.*, dispatch.*, and the shared ones)
     * @param meters the registry every stage's meters go to (one /metrics for the process)
     * @param generatorCount generator instances; ids {@code up-0}.. so that a restart fences its predecessors at once
     */
    public static LocalLoop start(ConnectionConfig c, Properties p, int generatorCount, Device device, MeterRegistry meters,
            StreamingTrainer.StepListener onStep, Dispatcher.StatusListener onDispatch) {
        return start(principal -> c, p, generatorCount, device, meters, onStep, onDispatch);
    }

    /** As above, each stage connecting as its own principal (a secure broker's ACLs tell them apart). */
    static LocalLoop start(Function<BrokerSecurity.Principal, ConnectionConfig> as, Properties p, int generatorCount,
            Device device, MeterRegistry meters, StreamingTrainer.StepListener onStep,
            Dispatcher.StatusListener onDispatch) {
        ConnectionConfig c = as.apply(BrokerSecurity.Principal.TRAINER);
        AvroSerdes serdes = AvroSerdes.connect(c);
        DispatcherConfig dispatch = DispatcherConfig.from(p);
        Properties t = new Properties();
        t.putAll(p);
        // the versions held-out rounds evaluate stay until a generator answers them
        t.putIfAbsent(TrainerConfig.CHECKPOINT_KEEP_EVERY, String.valueOf(dispatch.evalEvery()));
        StreamingTrainer trainer = new StreamingTrainer(c, TrainerConfig.from(t), serdes, meters, device);
        List<RolloutGenerator> generators = new ArrayList<>();
        for (int i = 0; i < generatorCount; i++) {
            Properties g = new Properties();
            g.putAll(p);
            g.put(GeneratorConfig.ID, "up-" + i);
            generators.add(new RolloutGenerator(as.apply(BrokerSecurity.Principal.GENERATOR), GeneratorConfig.from(g),
                    serdes, device, Clock.systemUTC(), meters));
        }
        Dispatcher dispatcher = new Dispatcher(as.apply(BrokerSecurity.Principal.DISPATCHER), dispatch, serdes,
                Clock.systemUTC());
        LocalLoop loop = new LocalLoop(trainer, generators, dispatcher);
        loop.launch("trainer", trainer::stop, () -> trainer.run(onStep));
        for (RolloutGenerator g : generators) {
            loop.launch("generator " + g.config().id(), g::stop, g::run);
        }
        loop.launch("dispatcher", dispatcher::stop, () -> dispatcher.run(onDispatch));
        return loop;
    }

    private void launch(String name, Runnable stop, java.util.concurrent.Callable<?> work) {
        stages.add(new Stage(name, stop, threads.submit(() -> {
            try {
                return work.call();
            } catch (Exception | Error e) {
                log.error("{} stopped: {}", name, e.toString(), e);
                throw e;
            }
        })));
    }

    public List<RolloutGenerator> generators() {
        return generators;
    }

    public StreamingTrainer trainer() {
        return trainer;
    }

    /** The first stage that ended on its own (an error, or a trainer that reached its step limit), if any. */
    public Optional<StageEnd> ended() {
        for (Stage s : stages) {
            if (s.running().isDone()) {
                try {
                    s.running().get();
                    return Optional.of(new StageEnd(s.name(), StageEnd.How.FINISHED, null));
                } catch (ExecutionException e) {
                    return Optional.of(new StageEnd(s.name(), StageEnd.How.FAILED, e.getCause()));
                } catch (InterruptedException | java.util.concurrent.CancellationException e) {
                    return Optional.of(new StageEnd(s.name(), StageEnd.How.CANCELLED, null));
                }
            }
        }
        return Optional.empty();
    }

    /** How the first stage of the loop to end ended; {@code cause} is the failure's, else null. */
    public record StageEnd(String stage, How how, Throwable cause) {

        public enum How { FINISHED, FAILED, CANCELLED }

        public boolean failed() {
            return how == How.FAILED;
        }

        @Override
        public String toString() {
            return switch (how) {
                case FINISHED -> stage + " finished";
                case FAILED -> stage + " failed: " + cause;
                case CANCELLED -> stage + " was cancelled";
            };
        }
    }

    /**
     * Stops the dispatcher first (no new requests), then the generators (each finishes or aborts
     * its batch), then the trainer (it writes its last checkpoint); waits for each in turn.
     */
    @Override
    public void close() {
        List<Stage> order = new ArrayList<>(stages);
        java.util.Collections.reverse(order); // launched trainer, generators, dispatcher
        for (Stage s : order) {
            s.stop().run();
            try {
                s.running().get(2, TimeUnit.MINUTES);
            } catch (TimeoutException e) {
                log.warn("{} did not stop within 2 minutes", s.name());
            } catch (ExecutionException e) {
                // already logged when it happened
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        threads.shutdownNow();
    }
}
