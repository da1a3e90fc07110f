package io.seedstream.infra.broker;

import io.seedstream.infra.broker.BrokerSecurity.Principal;
import io.seedstream.schemas.ClientIds;
import io.seedstream.schemas.ConnectionConfig;
import io.seedstream.schemas.Topic;
import io.seedstream.schemas.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * What each component's principal may do on a deployment (a topic prefix), and nothing more:
 * read the topics it consumes, write the topics it produces, its own consumer group and
 * transactional ids. A generator cannot write training-batches or policy-versions; the trainer
 * cannot write rollouts; no component can create or delete topics except the topology's own
 * internal ones. The operator account ({@code admin}) is a super user.
 */
public final class BrokerAcls {

    private final ConnectionConfig deployment;
    private final String registryTopic;
    private final List<AclBinding> bindings = new ArrayList<>();

    private BrokerAcls(ConnectionConfig deployment, String registryTopic) {
        this.deployment = deployment;
        this.registryTopic = registryTopic;
    }

    /** Every binding for the deployment's topic prefix and the registry's topic. */
    public static List<AclBinding> forDeployment(ConnectionConfig deployment, String registryTopic) {
        BrokerAcls a = new BrokerAcls(deployment, registryTopic);
        a.generator();
        a.topology();
        a.trainer();
        a.dispatcher();
        a.registry();
        return List.copyOf(a.bindings);
    }

    /** Creates the bindings (idempotent: an existing binding is left as it is). */
    public static void apply(Admin admin, List<AclBinding> bindings) {
        try {
            admin.createAcls(bindings).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create the ACLs: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the ACLs", e);
        }
    }

    private void generator() {
        reads(Principal.GENERATOR, Topics.ROLLOUT_REQUESTS, Topics.EVAL_REQUESTS, Topics.POLICY_VERSIONS, Topics.PROMPTS);
        writes(Principal.GENERATOR, Topics.ROLLOUTS, Topics.EVAL_RESULTS, Topics.METRICS, Topics.DEAD_LETTERS);
        allow(Principal.GENERATOR, ResourceType.GROUP, ClientIds.GENERATOR_GROUP, PatternType.PREFIXED, AclOperation.READ);
        transactions(Principal.GENERATOR, ClientIds.GENERATOR_PREFIX);
    }

    private void topology() {
        reads(Principal.TOPOLOGY, Topics.PROMPTS, Topics.ROLLOUTS, Topics.EVAL_RESULTS, Topics.METRICS,
                Topics.DEAD_LETTERS, Topics.POLICY_VERSIONS);
        writes(Principal.TOPOLOGY, Topics.TRAINING_BATCHES, Topics.PROMPT_STATES, Topics.DEAD_LETTERS);
        // Kafka Streams' own topics, group and transactional ids all start with the application id
        allow(Principal.TOPOLOGY, ResourceType.TOPIC, ClientIds.SCORING_APPLICATION, PatternType.PREFIXED, AclOperation.ALL);
        allow(Principal.TOPOLOGY, ResourceType.GROUP, ClientIds.SCORING_APPLICATION, PatternType.PREFIXED, AclOperation.READ);
        transactions(Principal.TOPOLOGY, ClientIds.SCORING_APPLICATION);
        // the dashboard's consumer lag: every group's committed offsets and every topic's end offsets
        allow(Principal.TOPOLOGY, ResourceType.GROUP, "*", PatternType.LITERAL, AclOperation.DESCRIBE);
        allow(Principal.TOPOLOGY, ResourceType.TOPIC, deployment.topicPrefix(), PatternType.PREFIXED,
                AclOperation.DESCRIBE);
    }

    private void trainer() {
        reads(Principal.TRAINER, Topics.TRAINING_BATCHES);
        writes(Principal.TRAINER, Topics.POLICY_VERSIONS, Topics.METRICS, Topics.DEAD_LETTERS);
    }

    private void dispatcher() {
        reads(Principal.DISPATCHER, Topics.PROMPTS, Topics.POLICY_VERSIONS, Topics.DISPATCH_POSITIONS, Topics.PROMPT_STATES);
        writes(Principal.DISPATCHER, Topics.ROLLOUT_REQUESTS, Topics.EVAL_REQUESTS, Topics.DISPATCH_POSITIONS,
                Topics.PROMPTS, Topics.METRICS, Topics.DEAD_LETTERS);
        transactions(Principal.DISPATCHER, ClientIds.DISPATCHER_PREFIX);
        // the announcement check compares consumed offsets with the end of training-batches (not its records)
        allow(Principal.DISPATCHER, ResourceType.TOPIC, deployment.topic(Topics.TRAINING_BATCHES), PatternType.LITERAL,
                AclOperation.DESCRIBE);
    }

    private void registry() {
        for (AclOperation op : List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE,
                AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS)) {
            allow(Principal.REGISTRY, ResourceType.TOPIC, registryTopic, PatternType.LITERAL, op);
        }
        transactions(Principal.REGISTRY, ClientIds.REGISTRY_PREFIX);
    }

    private void reads(Principal p, Topic<?, ?>... topics) {
        for (Topic<?, ?> t : topics) {
            allow(p, ResourceType.TOPIC, deployment.topic(t), PatternType.LITERAL, AclOperation.READ);
        }
    }

    private void writes(Principal p, Topic<?, ?>... topics) {
        for (Topic<?, ?> t : topics) {
            allow(p, ResourceType.TOPIC, deployment.topic(t), PatternType.LITERAL, AclOperation.WRITE);
        }
    }

    private void transactions(Principal p, String prefix) {
        allow(p, ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED, AclOperation.WRITE);
        allow(p, ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED, AclOperation.DESCRIBE);
    }

    private void allow(Principal p, ResourceType type, String name, PatternType pattern, AclOperation op) {
        bindings.add(new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + p.user(), "*", op, AclPermissionType.ALLOW)));
    }
}
