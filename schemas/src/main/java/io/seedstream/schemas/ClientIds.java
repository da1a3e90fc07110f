package io.seedstream.schemas;

/**
 * The names each component's Kafka clients use for their consumer group, transactional ids and
 * Kafka Streams application: kept here, once, because a secure broker's ACLs grant exactly these.
 */
public final class ClientIds {

    /** The generators' default consumer group. */
    public static final String GENERATOR_GROUP = "seedstream-generators";
    /** Followed by the generator id: a generator's client and transactional id. */
    public static final String GENERATOR_PREFIX = "seedstream-generator-";
    /** Followed by the run id: the dispatcher's client and transactional id. */
    public static final String DISPATCHER_PREFIX = "seedstream-dispatcher-";
    /** Followed by the registry's topic: the registry's transactional id. */
    public static final String REGISTRY_PREFIX = "seedstream-schema-registry-";
    /** The scoring topology's default application id (its group, internal topics and transactional ids). */
    public static final String SCORING_APPLICATION = "seedstream-scoring";

    private ClientIds() {}
}
