# Az adminisztrátorok értesítési központja: integrációs hibák (V9).
alerts-title = Integrációs riasztások
alerts-intro = A telefonos integrációk hibái, amelyeket egy adminisztrátor meg tud oldani. Az elvetett riasztás visszatér, ha a hiba újra előfordul.
alerts-none = Nincs hiba. Minden működik.
alerts-integration = Integráció
alerts-what-to-do = Teendő:
alerts-first-seen = Először
alerts-last-seen = Utoljára
alerts-detail = Utolsó részlet
alerts-dismiss = Elvetés
alerts-open-telephony = A telefonbeállítások megnyitása
alerts-open-integration = Az integráció beállításainak megnyitása
alerts-count = { $count ->
    [one] Egyszer fordult elő
   *[other] { $count } alkalommal fordult elő
}
alerts-bell = { $count ->
    [0] Integrációs riasztások: nincs
   *[other] Integrációs riasztások: { $count } nyitott
}
alerts-bad-signature-title = Elutasított webhookok: hibás aláírás
alerts-bad-signature-explain = Az alközpont hívásértesítései az integráció titkos kulcsával aláírva érkeznek. Ezek érvényes aláírás nélkül jöttek, ezért elutasítottuk őket, és a hívásaik nem kerültek rögzítésre.
alerts-bad-signature-fix = Ellenőrizze, hogy az itt mentett kulcs és titkos kulcs megegyezik-e az alközpont API-beállításaiban lévővel. Ha igen, lehet, hogy valaki más küld kéréseket a webhook címére: hozzon létre új titkos kulcsot az alközpontban, és mentse el itt.
alerts-forbidden-source-title = Elutasított webhookok: nem engedélyezett cím
alerts-forbidden-source-explain = Értesítések érkeztek egy olyan címről, amely nincs az integráció engedélyezett címei között, ezért elutasítottuk őket.
alerts-forbidden-source-fix = Ha a cím az alközpont szolgáltatójáé, vegye fel az engedélyezett címek közé a telefonbeállításokban. Ha nem, hagyja elutasítva.
alerts-pbx-unreachable-title = Az alközpont nem érhető el
alerts-pbx-unreachable-explain = Az alközpont API-jához intézett kérések (kattintásos hívás, állapot, felvételek) nem jutottak el, vagy nem kaptak időben választ.
alerts-pbx-unreachable-fix = Ellenőrizze az API címét az integráció beállításaiban, és hogy ez a szerver eléri-e az alközpontot a hálózaton.
alerts-pbx-auth-title = Az alközpont elutasította a kulcsot és a titkos kulcsot
alerts-pbx-auth-explain = Az alközpont azt válaszolta, hogy az API-kulcs és a titkos kulcs érvénytelen, ezért a kattintásos hívás és a felvételek nem működnek.
alerts-pbx-auth-fix = Hozzon létre új kulcsot és titkos kulcsot az alközpont API-beállításaiban, és mentse el őket az integráció beállításaiban.
alerts-recording-failed-title = Hívásfelvételeket nem sikerült letölteni
alerts-recording-failed-explain = Egy felvétel letöltését és tárolását órákon át sokszor megpróbáltuk, sikertelenül, ezért nem hallgatható meg a CRM-ben.
alerts-recording-failed-fix = Ellenőrizze, hogy az alközpont megőrzi-e a felvételeket, és a kulcs olvashatja-e őket, valamint hogy a felvételek tárolója be van-e állítva és elérhető-e.
alerts-autocreate-failed-title = Nem jöttek létre kártyák ismeretlen hívóknak
alerts-autocreate-failed-explain = Egy ismeretlen számról érkező híváshoz a kapcsolat vagy az érdeklődő létrehozása minden újrapróbálkozás után sikertelen volt.
alerts-autocreate-failed-fix = Ellenőrizze az integráció automatikus létrehozási beállításait, és hogy a fióknak van-e értékesítési folyamata bejövő szakasszal.
