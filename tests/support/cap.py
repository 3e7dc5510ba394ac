"""Reads a CAP 1.2 document with Python's XML parser (failing on anything not well-formed) and
prints the parts the Rust tests check, as JSON."""
import json, sys
import xml.etree.ElementTree as ET

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
root = ET.parse(sys.argv[1]).getroot()
def text(el, path):
    found = el.find(path, NS)
    return None if found is None else found.text
infos = []
for info in root.findall("cap:info", NS):
    infos.append({
        "language": text(info, "cap:language"),
        "categories": [c.text for c in info.findall("cap:category", NS)],
        "event": text(info, "cap:event"),
        "urgency": text(info, "cap:urgency"),
        "severity": text(info, "cap:severity"),
        "certainty": text(info, "cap:certainty"),
        "headline": text(info, "cap:headline"),
        "description": text(info, "cap:description"),
        "event_code": text(info, "cap:eventCode/cap:value"),
        "areas": [{
            "desc": text(a, "cap:areaDesc"),
            "polygons": [p.text for p in a.findall("cap:polygon", NS)],
            "circles": [c.text for c in a.findall("cap:circle", NS)],
        } for a in info.findall("cap:area", NS)],
    })
print(json.dumps({
    "tag": root.tag,
    "identifier": text(root, "cap:identifier"),
    "sent": text(root, "cap:sent"),
    "status": text(root, "cap:status"),
    "msgType": text(root, "cap:msgType"),
    "scope": text(root, "cap:scope"),
    "references": text(root, "cap:references"),
    "infos": infos,
}))
