# Incoming leads (ui/incoming.rs) — Magyar.

## Incoming leads
incoming-title = Beérkező leadek
incoming-waiting = { $count ->
    [one] { $count } várakozik
   *[other] { $count } várakozik
}
incoming-empty = Nincs várakozó lead. Az ismeretlen számokról érkező hívások és a webes űrlapok ide kerülnek.
incoming-pipeline = Értékesítési folyamat
incoming-all-pipelines = Minden folyamat
incoming-source = Forrás
incoming-all-sources = Minden forrás
incoming-source-sip = Hívás
incoming-source-forms = Űrlap
incoming-lead-number = { $id }. lead
incoming-received = Beérkezett
incoming-price = Költségkeret
incoming-contact = Kapcsolat
incoming-company = Cég
incoming-calls = Hívások
incoming-call-in = Bejövő hívás innen:
incoming-call-out = Kimenő hívás ide:
incoming-duration = hossz
incoming-called-number = hívott szám
incoming-recording = A hívás felvétele
incoming-recording-open = A felvétel megnyitása
incoming-no-recording = Nincs felvétel
incoming-stage = Szakasz
incoming-responsible = Felelős
incoming-responsible-me = Én (vagy a jelenlegi felelőse)
incoming-accept = Elfogadás
incoming-decline = Elutasítás spamként
incoming-decline-confirm = Elutasítja ezt a leadet spamként? Elveszettként lezárul.
incoming-link = Összekapcsolás egy leaddel
incoming-pages = Oldalak
incoming-done-accepted = A lead elfogadva.
incoming-done-declined = A lead elutasítva, elveszettként lezárva.
incoming-done-linked = A hívás most a kiválasztott leadnél látható.
incoming-link-title = Összekapcsolás egy meglévő leaddel
incoming-link-find = A lead keresése
incoming-link-hint = A hívás a kiválasztott leadhez kerül, a hívó annak egyik kapcsolata lesz, ez a beérkező lead pedig lezárul.
incoming-link-search = A lead neve vagy telefonszáma
incoming-link-none = Nincs ilyen lead.
incoming-link-here = Összekapcsolás ide
