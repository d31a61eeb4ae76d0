package org.xapijava.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.common.TypeFactory;
import org.apache.xmlrpc.common.XmlRpcHttpRequestConfigImpl;
import org.apache.xmlrpc.parser.XmlRpcRequestParser;
import org.apache.xmlrpc.parser.XmlRpcResponseParser;
import org.apache.xmlrpc.serializer.DefaultXMLWriterFactory;
import org.apache.xmlrpc.serializer.XmlRpcWriter;
import org.apache.xmlrpc.server.XmlRpcServer;
import org.apache.xmlrpc.util.SAXParsers;
import org.xml.sax.ContentHandler;
import org.xml.sax.InputSource;
import org.xml.sax.XMLReader;

/**
 * The baseline: Apache XML-RPC 3.1.3 doing what its server and its client do with a document, call for call
 * ({@code XmlRpcStreamServer.writeResponse} / {@code getRequest}, {@code XmlRpcStreamTransport.readResponse}),
 * with the default configuration (UTF-8, no extensions). Thread-safe (everything per call is new).
 */
public final class ApacheXmlRpc {
    private static final XmlRpcServer SERVER = new XmlRpcServer();
    private static final TypeFactory TYPES = SERVER.getTypeFactory();
    private static final XmlRpcHttpRequestConfigImpl CONFIG = new XmlRpcHttpRequestConfigImpl();
    private static final DefaultXMLWriterFactory WRITERS = new DefaultXMLWriterFactory();

    private ApacheXmlRpc() {}

    /** Writes a {@code methodResponse} whose single param is {@code result}, as the Apache server does. */
    public static void writeResponse(Object result, OutputStream out) throws Exception {
        ContentHandler h = WRITERS.getXmlWriter(CONFIG, out);
        new XmlRpcWriter(CONFIG, h, TYPES).write(CONFIG, result);
    }

    public static byte[] response(Object result) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeResponse(result, out);
        return out.toByteArray();
    }

    /** Parses a {@code methodResponse} as the Apache client does; returns the result param. */
    public static Object readResponse(byte[] bytes) throws Exception {
        XMLReader xr = SAXParsers.newXMLReader();
        XmlRpcResponseParser p = new XmlRpcResponseParser(CONFIG, TYPES);
        xr.setContentHandler(p);
        xr.parse(new InputSource(new ByteArrayInputStream(bytes)));
        if (!p.isSuccess()) throw new XmlRpcException(p.getErrorCode(), p.getErrorMessage());
        return p.getResult();
    }

    /** Parses a {@code methodCall} as the Apache server does; returns the method name and the params. */
    public static Object[] readRequest(byte[] bytes) throws Exception {
        XMLReader xr = SAXParsers.newXMLReader();
        XmlRpcRequestParser p = new XmlRpcRequestParser(CONFIG, TYPES);
        xr.setContentHandler(p);
        xr.parse(new InputSource(new ByteArrayInputStream(bytes)));
        List<?> params = p.getParams();
        return new Object[] {p.getMethodName(), params};
    }
}
