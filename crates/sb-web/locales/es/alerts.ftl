# El centro de avisos de los administradores: problemas de integraciones (V9).
alerts-title = Avisos de integraciones
alerts-intro = Problemas de las integraciones de telefonía que un administrador puede resolver. Un aviso descartado vuelve si el problema se repite.
alerts-none = No hay problemas. Todo funciona.
alerts-integration = Integración
alerts-what-to-do = Qué hacer:
alerts-first-seen = Primera vez
alerts-last-seen = Última vez
alerts-detail = Último detalle
alerts-dismiss = Descartar
alerts-open-telephony = Abrir los ajustes de telefonía
alerts-open-integration = Abrir los ajustes de la integración
alerts-count = { $count ->
    [one] Ocurrió una vez
   *[other] Ocurrió { $count } veces
}
alerts-bell = { $count ->
    [0] Avisos de integraciones: ninguno
    [one] Avisos de integraciones: { $count } abierto
   *[other] Avisos de integraciones: { $count } abiertos
}
alerts-bad-signature-title = Webhooks rechazados: firma no válida
alerts-bad-signature-explain = Los avisos de llamadas de la centralita llegan firmados con el secreto de la integración. Estos llegaron sin una firma válida, así que se rechazaron y sus llamadas no se registraron.
alerts-bad-signature-fix = Compruebe que la clave y el secreto guardados aquí son los de los ajustes de API de la centralita. Si lo son, puede que otra persona esté enviando peticiones a la URL del webhook: cree un secreto nuevo en la centralita y guárdelo aquí.
alerts-forbidden-source-title = Webhooks rechazados: dirección no permitida
alerts-forbidden-source-explain = Llegaron avisos desde una dirección que no está en la lista de direcciones permitidas de la integración, así que se rechazaron.
alerts-forbidden-source-fix = Si la dirección es de su proveedor de centralita, añádala a la lista de permitidas en los ajustes de telefonía. Si no, déjela rechazada.
alerts-pbx-unreachable-title = No se puede conectar con la centralita
alerts-pbx-unreachable-explain = Las peticiones a la API de la centralita (llamar con un clic, el estado, las grabaciones) no llegaron o no recibieron respuesta a tiempo.
alerts-pbx-unreachable-fix = Compruebe la URL de la API en los ajustes de la integración y que este servidor llega a la centralita por la red.
alerts-pbx-auth-title = La centralita rechazó la clave y el secreto
alerts-pbx-auth-explain = La centralita respondió que la clave y el secreto de la API no son válidos, así que llamar con un clic y las grabaciones no funcionan.
alerts-pbx-auth-fix = Cree una clave y un secreto nuevos en los ajustes de API de la centralita y guárdelos en los ajustes de la integración.
alerts-recording-failed-title = No se pudieron descargar grabaciones de llamadas
alerts-recording-failed-explain = Se intentó muchas veces durante varias horas descargar y guardar una grabación sin conseguirlo, así que no se puede escuchar en el CRM.
alerts-recording-failed-fix = Compruebe que la centralita guarda las grabaciones y que la clave puede leerlas, y que el almacenamiento de grabaciones está configurado y accesible.
alerts-autocreate-failed-title = No se crearon fichas para llamantes desconocidos
alerts-autocreate-failed-explain = Crear un contacto o un lead para una llamada de un número desconocido falló tras todos los reintentos.
alerts-autocreate-failed-fix = Revise los ajustes de creación automática de la integración y que la cuenta tiene un embudo con una etapa de entrada.
