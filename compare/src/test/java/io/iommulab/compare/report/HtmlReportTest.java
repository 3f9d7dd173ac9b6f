package io.iommulab.compare.report;

import static io.iommulab.compare.report.XmlTestSupport.elements;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** {@link HtmlReport}: one well-formed file with inline pictures and highlighted differences. */
class HtmlReportTest {
    @Test
    void wholeFileIsWellFormedAndSvgsParseWhenExtracted() {
        Comparison c = Fixtures.three();
        String html = HtmlReport.render(c);
        Document doc = XmlTestSupport.parse(html);
        assertEquals("html", doc.getDocumentElement().getTagName());
        List<String> svgs = XmlTestSupport.svgs(html);
        assertEquals(c.backends().size() + 5, svgs.size(), "a topology per backend and five charts");
        svgs.forEach(XmlTestSupport::parse);
        assertEquals(svgs.size(), elements(doc, "svg", null).size());
        assertEquals(Fixtures.dart().iommus().size() + Fixtures.smmu().iommus().size(),
                elements(doc, "rect", "iommu").size());
    }

    @Test
    void differingRowsAreHighlighted() {
        Comparison c = Fixtures.two();
        Document doc = XmlTestSupport.parse(HtmlReport.render(c));
        long differing = ComparisonTable.sections(c).stream().flatMap(s -> s.rows().stream())
                .filter(ComparisonTable.Row::differs).count();
        List<Element> marked = elements(doc, "tr", "differs");
        assertEquals(differing + c.differences().size(), marked.size());
        long starred = elements(doc, "td", "mark").stream().filter(td -> td.getTextContent().equals("*")).count();
        assertEquals(differing, starred);
        Element iommus = elements(doc, "th", null).stream().filter(th -> th.getTextContent().equals("IOMMUs"))
                .findFirst().orElseThrow();
        assertEquals("differs", ((Element) iommus.getParentNode()).getAttribute("class"));
    }

    @Test
    void textIsEscapedAndSurvivesParsing() {
        Comparison c = Fixtures.three();
        String html = HtmlReport.render(c);
        Document doc = XmlTestSupport.parse(html);
        List<String> codes = elements(doc, "code", null).stream().map(Element::getTextContent).toList();
        assertEquals(c.board(), codes.get(0));
        assertTrue(codes.get(1).startsWith("mix <&\"'> | *x* [l](u) \\ tab\there\nnew line ü 🙂"), codes.get(1));
        assertTrue(elements(doc, "th", null).stream().anyMatch(th -> th.getTextContent().equals("odd<&\">-ü🙂")));
        assertTrue(elements(doc, "td", "value").stream().anyMatch(td -> td.getTextContent().equals(Fixtures.LONG_REASON)),
                "no truncation in HTML");
    }
}
