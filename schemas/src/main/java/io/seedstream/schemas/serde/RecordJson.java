package io.seedstream.schemas.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.seedstream.schemas.TokenArrays;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * An Avro value as plain JSON for people to read: unions as their value (not Avro's
 * {@code {"type": value}} wrapping), enums and strings as strings, packed token arrays
 * ({@link TokenArrays}) as numbers, other bytes as base64.
 */
public final class RecordJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private RecordJson() {}

    public static JsonNode of(Object value, Schema schema) {
        return node(value, schema, "");
    }

    private static JsonNode node(Object v, Schema s, String field) {
        if (v == null) {
            return NODES.nullNode();
        }
        switch (s.getType()) {
            case RECORD: {
                ObjectNode o = NODES.objectNode();
                GenericRecord r = (GenericRecord) v;
                for (Schema.Field f : s.getFields()) {
                    o.set(f.name(), node(r.get(f.pos()), f.schema(), f.name()));
                }
                return o;
            }
            case ARRAY: {
                ArrayNode a = NODES.arrayNode();
                for (Object x : (Collection<?>) v) {
                    a.add(node(x, s.getElementType(), field));
                }
                return a;
            }
            case MAP: {
                ObjectNode o = NODES.objectNode();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    o.set(e.getKey().toString(), node(e.getValue(), s.getValueType(), field));
                }
                return o;
            }
            case UNION:
                return node(v, s.getTypes().get(GenericData.get().resolveUnion(s, v)), field);
            case STRING:
            case ENUM:
                return NODES.textNode(v.toString());
            case BYTES:
                return bytes((ByteBuffer) v, field);
            case FIXED:
                return NODES.textNode(Base64.getEncoder().encodeToString(((GenericFixed) v).bytes()));
            case INT:
                return NODES.numberNode((Integer) v);
            case LONG:
                return NODES.numberNode((Long) v);
            case FLOAT:
                return NODES.numberNode((Float) v);
            case DOUBLE:
                return NODES.numberNode((Double) v);
            case BOOLEAN:
                return NODES.booleanNode((Boolean) v);
            default:
                return NODES.nullNode();
        }
    }

    private static JsonNode bytes(ByteBuffer b, String field) {
        ArrayNode a = NODES.arrayNode();
        if (TokenArrays.INT_FIELDS.contains(field)) {
            for (int x : TokenArrays.ints(b)) {
                a.add(x);
            }
            return a;
        }
        if (TokenArrays.FLOAT_FIELDS.contains(field)) {
            for (float x : TokenArrays.floats(b)) {
                a.add(x);
            }
            return a;
        }
        ByteBuffer view = b.duplicate();
        byte[] raw = new byte[view.remaining()];
        view.get(raw);
        return NODES.textNode(Base64.getEncoder().encodeToString(raw));
    }
}
