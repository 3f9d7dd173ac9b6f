package io.iommulab.compare.report;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** XML helpers for the tests: a strict, namespace-aware parse and element queries. */
final class XmlTestSupport {
    private XmlTestSupport() {
    }

    /** Parses {@code xml}; throws (failing the test) if it is not well-formed. */
    static Document parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            var b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            return b.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new AssertionError("not well-formed XML: " + e.getMessage() + "\n" + xml, e);
        }
    }

    /** Elements named {@code name} (any namespace) with attribute class = {@code cls} (null: any). */
    static List<Element> elements(Document d, String name, String cls) {
        List<Element> out = new ArrayList<>();
        NodeList nl = d.getElementsByTagNameNS("*", name);
        for (int i = 0; i < nl.getLength(); i++) {
            Element e = (Element) nl.item(i);
            if (cls == null || cls.equals(e.getAttribute("class"))) {
                out.add(e);
            }
        }
        return out;
    }

    static double num(Element e, String attr) {
        return Double.parseDouble(e.getAttribute(attr));
    }

    /** Every {@code <svg ...>...</svg>} in a text, outermost only (SVGs here never nest). */
    static List<String> svgs(String text) {
        List<String> out = new ArrayList<>();
        int from = 0;
        while (true) {
            int a = text.indexOf("<svg", from);
            if (a < 0) {
                return out;
            }
            int b = text.indexOf("</svg>", a);
            out.add(text.substring(a, b + "</svg>".length()));
            from = b;
        }
    }
}
