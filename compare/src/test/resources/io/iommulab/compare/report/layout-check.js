// The report's layout as a browser lays it out, checked in the page itself (compare/check-report.sh
// and ReportLayoutTest append this to a copy of report.html and read the result with
// `chromium --headless --dump-dom`). Appends a pre element with the id layout-check: one "FAIL ..." line
// per problem, "svg ..." lines with each picture's rendered size, "page ..." with the page's size, then
// "END" (this text must not contain the element's markup, which the readers look for in the dump).
(function () {
  var out = [];
  var TOL = 0.5; // px: sub-pixel rounding
  var root = document.documentElement;
  var viewport = root.clientWidth; // the window less its scroll bar

  function fail(what) { out.push('FAIL ' + what); }
  function px(v) { return (Math.round(v * 10) / 10).toString(); }
  function box(r) { return '[' + px(r.left) + ',' + px(r.top) + ' ' + px(r.width) + 'x' + px(r.height) + ']'; }
  function inside(a, b) {
    return a.left >= b.left - TOL && a.right <= b.right + TOL && a.top >= b.top - TOL && a.bottom <= b.bottom + TOL;
  }
  function overlap(a, b) {
    return a.left < b.right - TOL && b.left < a.right - TOL && a.top < b.bottom - TOL && b.top < a.bottom - TOL;
  }
  // The box a label must stay inside: the rect drawn just before it (TopologySvg's drawing order).
  var CONTAINER = { 'iommu-label': 'iommu', 'iommu-driver': 'iommu', 'master-label': 'master', 'group-label': 'group' };
  function container(t) {
    var want = CONTAINER[t.getAttribute('class')];
    if (!want) { return null; }
    for (var e = t.previousElementSibling; e; e = e.previousElementSibling) {
      if (e.tagName === 'rect' && e.getAttribute('class') === want) { return e; }
    }
    return null;
  }

  out.push('page ' + root.scrollWidth + 'x' + root.scrollHeight + ' viewport ' + viewport);
  if (root.scrollWidth > viewport + TOL) {
    fail('page is ' + root.scrollWidth + ' px wide: it scrolls sideways in a ' + viewport + ' px window');
  }
  var svgs = document.querySelectorAll('svg');
  for (var i = 0; i < svgs.length; i++) {
    var svg = svgs[i];
    var title = svg.querySelector('title');
    var name = title ? title.textContent : 'picture ' + i;
    var r = svg.getBoundingClientRect();
    var vb = svg.viewBox.baseVal;
    out.push('svg "' + name + '" ' + px(r.width) + 'x' + px(r.height) + ' at ' + px(r.left) + ',' + px(r.top + window.scrollY)
      + ' scale ' + (r.width / vb.width).toFixed(3));
    if (r.left < -TOL || r.right > viewport + TOL) {
      fail('"' + name + '" ' + box(r) + ' does not fit the ' + viewport + ' px window');
    }
    var texts = svg.querySelectorAll('text');
    var boxes = [];
    for (var k = 0; k < texts.length; k++) {
      var t = texts[k];
      var b = t.getBoundingClientRect();
      boxes.push(b);
      if (!inside(b, r)) {
        fail('"' + name + '": text "' + t.textContent + '" ' + box(b) + ' overflows the picture ' + box(r));
      }
      var c = container(t);
      if (c && !inside(b, c.getBoundingClientRect())) {
        fail('"' + name + '": text "' + t.textContent + '" ' + box(b) + ' overflows its ' + c.getAttribute('class')
          + ' box ' + box(c.getBoundingClientRect()));
      }
    }
    for (var a = 0; a < boxes.length; a++) {
      for (var z = a + 1; z < boxes.length; z++) {
        if (overlap(boxes[a], boxes[z])) {
          fail('"' + name + '": texts "' + texts[a].textContent + '" ' + box(boxes[a]) + ' and "'
            + texts[z].textContent + '" ' + box(boxes[z]) + ' overlap');
        }
      }
    }
  }
  var cells = document.querySelectorAll('td, th');
  for (var j = 0; j < cells.length; j++) {
    if (cells[j].scrollWidth > cells[j].clientWidth + 1) {
      fail('table cell "' + cells[j].textContent + '" overflows: ' + cells[j].scrollWidth + ' > ' + cells[j].clientWidth);
    }
  }
  var pre = document.createElement('pre');
  pre.id = 'layout-check';
  pre.textContent = out.join('\n') + '\nEND';
  document.body.appendChild(pre);
})();
