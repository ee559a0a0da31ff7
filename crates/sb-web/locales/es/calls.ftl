# Telefonía en el navegador: avisos de llamada, marcador, botones de llamada, resultado
# de la llamada y panel en vivo.

nav-live = Panel en vivo

## Marcador y botones de llamada
calls-dialer = Marcar
calls-dialer-number = Número a marcar
calls-dialer-keypad = Teclado
calls-dialer-call = Llamar
calls-call = Llamar
calls-call-label = Llamar a { $phone }
calls-blacklist = Lista negra
calls-blacklist-label = Añadir { $phone } a la lista negra
calls-blacklist-confirm = ¿Rechazar desde ahora todas las llamadas de este número?
calls-dialing = Primero sonará tu teléfono: descuelga para llamar a { $phone }.
calls-dialing-ext = (extensión { $extension })
calls-blacklisted = { $phone } está en la lista negra: sus llamadas se rechazan desde ahora.
calls-already-blacklisted = { $phone } ya estaba en la lista negra.
calls-blacklisted-by = Añadido a la lista negra desde la ficha por { $name }

## Por qué no se pudo llamar
calls-error-title = No se pudo realizar la llamada
calls-error-no_integration = Aún no hay telefonía configurada. Un administrador conecta la centralita en Ajustes → Telefonía.
calls-error-no_extension = Aún no tienes extensión en la centralita. Un administrador te la asigna en Ajustes → Telefonía.
calls-error-bad_number = Este número no se puede marcar. Compruébalo e inténtalo de nuevo.
calls-error-no_money = La cuenta de la centralita se ha quedado sin saldo. Un administrador recarga el saldo con el proveedor.
calls-error-wrong_number = La centralita rechazó este número. Compruébalo (con el prefijo del país) e inténtalo de nuevo.
calls-error-pbx_unreachable = No se puede contactar con la centralita ahora. Inténtalo en un minuto; si sigue así, un administrador revisa los ajustes de telefonía.
calls-error-settings_unreadable = Los ajustes de telefonía están dañados. Un administrador los guarda de nuevo (con la clave y el secreto) en Ajustes → Telefonía.
calls-error-other = La centralita rechazó la llamada: { $message }

## El aviso
calls-incoming = Llamada entrante
calls-outgoing = Llamada saliente
calls-talking = En conversación
calls-ended = Llamada terminada
calls-missed = Llamada perdida
calls-close = Cerrar
calls-unknown-number = Número desconocido
calls-responsible = Responsable
calls-our-number = Número marcado
calls-create-contact = Crear contacto
calls-call-back = Devolver la llamada

## Resultado de la llamada
calls-result-label = Resultado de la llamada
calls-result-lead = Vincular a una oportunidad
calls-result-lead-none = No vincular
calls-result-lead-new = Crear una oportunidad nueva
calls-result-lead-name = Nombre de la oportunidad nueva
calls-result-card = En la ficha de
calls-result-save = Guardar el resultado
calls-result-saved = Guardado en la nota de la llamada.
calls-feed-result = Resultado:
error-NoCard = La llamada aún no tiene contacto: crea primero el contacto.

## Panel en vivo
calls-board-title = Panel en vivo
calls-board-hint = Quién está al teléfono ahora mismo. Se actualiza solo.
calls-board-empty = No hay gestores que mostrar.
calls-board-manager = Gestor
calls-board-state = Estado
calls-board-with = Con
calls-board-for = Desde hace
calls-board-missed = Perdidas hoy
calls-board-ext = ext. { $extension }
calls-board-free = Libre
calls-board-ringing = Sonando
calls-board-talking = En llamada
